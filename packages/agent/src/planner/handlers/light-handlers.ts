// The handler that adds lights: type, count, color, energy, and where they go and point.
import { type LightType, parseColorToSrgb } from "@bod/contracts";
import { readDescription, unknownWordsQuestion } from "../describing-words.ts";
import { DEFAULT_LIGHT_LOCATIONS } from "../lexicon.ts";
import { placeRelative, readRelation } from "../placement.ts";
import { type Handler, push } from "../plan-state.ts";
import { findReferences, LIGHT_NOUN_MAP, LIGHT_NOUN_PATTERN, OBJECT_NOUN_PATTERN } from "../references.ts";
import { formatVec, readColor, readCount, readVector, roundVec } from "../values.ts";
import { PlanRefusal, type Vec3 } from "../world.ts";

function lightEnergy(text: string, type: LightType): number | undefined {
  const watts = /(\d+(?:\.\d+)?)\s*(?:w|watts?)\b|\b(?:energy|power|strength|intensity)\s*(?:of\s*|=\s*)?(\d+(?:\.\d+)?)/.exec(text);
  if (watts) return Number(watts[1] ?? watts[2]);
  if (/\b(?:very bright|strong|intense)\b/.test(text)) return type === "sun" ? 10 : 3000;
  if (/\bbright\b/.test(text)) return type === "sun" ? 5 : 2000;
  if (/\b(?:dim|soft|faint|weak)\b/.test(text)) return type === "sun" ? 1 : 200;
  return undefined;
}

const LIGHT_AT_START = new RegExp(
  String.raw`^(?:(?:add|create|put|place|insert|give me|i want|i need|there should be|light (?:it|the scene) with)\s+)?(?:(a|an|one|two|three|four|five|\d+|some)\s+)?((?:[#\w-]+\s+){0,4}?)(${LIGHT_NOUN_PATTERN})\b`,
);

export const handleAddLight: Handler = (clause, state) => {
  const match = LIGHT_AT_START.exec(clause.text);
  if (!match) return false;
  // "a sun and a point light": each light is its own instruction.
  const second = new RegExp(
    String.raw`\s+and\s+(?=(?:an?|one|two|three|four|five|\d+)\s+(?:[#\w-]+\s+){0,3}?(?:${LIGHT_NOUN_PATTERN})\b)`,
  ).exec(clause.text.slice(match[0].length));
  if (second) {
    const cut = match[0].length + second.index;
    const rest = clause.text.slice(cut + second[0].length);
    if (!handleAddLight({ text: clause.text.slice(0, cut), original: clause.original.slice(0, cut) }, state)) return false;
    const first = state.world.focus;
    if (!handleAddLight({ text: `add ${rest}`, original: `add ${clause.original.slice(cut + second[0].length)}` }, state))
      throw new PlanRefusal(`I could not read "${rest}".`, true);
    state.world.focus = [...first, ...state.world.focus];
    return true;
  }
  const text = clause.text;
  const adjectives = match[2] ?? "";
  if (/\b(?:the|this|that|my)\b/.test(adjectives) || /^(?:the|this|that|my)\b/.test(match[1] ?? "")) return false;
  // "light blue sphere" is a sphere: a light noun directly followed by an object noun is a color.
  const after = text.slice(match[0].length);
  if (new RegExp(String.raw`^\s*(?:[a-z]+\s+){0,1}(?:${OBJECT_NOUN_PATTERN})\b`).test(after) && match[3] === "light") return false;
  const type = LIGHT_NOUN_MAP.get(match[3]!) ?? "point";
  const count = match[1] === "some" ? 1 : (readCount(match[1]) ?? 1);
  if (count > 10) throw new PlanRefusal("At most 10 lights at a time.");
  // "a warm light", "a cool light": a color temperature; any other word before the noun is asked about.
  const temperature = /\b(?:warm|cozy|candle)\b/.test(adjectives)
    ? "#ffb46b"
    : /\b(?:cool|cold)\b/.test(adjectives)
      ? "#a8c8ff"
      : undefined;
  const unread = readDescription(
    adjectives.replace(
      /\b(?:warm|cozy|candle|cool|cold|bright|very|dim|soft|faint|weak|strong|intense)\b|\b\d+(?:\.\d+)?\s*(?:w|watts?)\b/g,
      " ",
    ),
  ).unknown;
  if (unread.length > 0) throw new PlanRefusal(unknownWordsQuestion(unread, `the ${match[3]}`));
  const color = readColor(`${adjectives} ${after}`) ?? temperature;
  const energy = lightEnergy(text, type);
  const explicit = readVector(after);
  const relation = readRelation(after, state);
  const aim = /\b(?:pointing|pointed|aimed|aiming|shining|facing)\s+(?:at|on|towards?)\s+(.*)$/.exec(after);
  let target: Vec3 | undefined;
  if (aim) {
    const vector = readVector(aim[1]!);
    const reference = vector ? undefined : findReferences(aim[1]!, state)[0];
    target = vector ?? reference?.objects[0]?.location;
  }
  const names: string[] = [];
  for (let index = 0; index < count; index++) {
    const args: Record<string, unknown> = { type };
    if (color) args.color = color;
    if (energy !== undefined) args.energy = energy;
    let location: Vec3 | undefined = explicit;
    if (!location && relation) {
      const offset = relation.relation === "on" || relation.relation === "above" ? 3 : (relation.gap ?? 3);
      location = placeRelative(relation.box, relation.relation, [0, 0, 0], offset);
      if (type !== "point") target ??= relation.anchor.location;
    }
    if (!location && count > 1) {
      const base = DEFAULT_LIGHT_LOCATIONS[type];
      const angle = (2 * Math.PI * index) / count;
      const radius = Math.hypot(base[0], base[1]) || 5;
      location = [radius * Math.cos(angle - Math.PI / 4), radius * Math.sin(angle - Math.PI / 4), base[2]];
    }
    if (location) args.location = roundVec(location);
    if (target) args.target = roundVec(target);
    const name = state.world.uniqueName(type === "sun" ? "Sun" : `${type[0]!.toUpperCase()}${type.slice(1)} Light`);
    args.name = name;
    names.push(name);
    push(
      state,
      "add_light",
      args,
      `Added ${color ? `a ${color} ` : "a "}${type} light named ${name}${location ? ` at ${formatVec(location)}` : ""}${energy !== undefined ? ` (${energy} ${type === "sun" ? "W/m²" : "W"})` : ""}.`,
    );
    state.world.addObject({
      name,
      kind: "light",
      primitive: undefined,
      lightType: type,
      location: location ?? DEFAULT_LIGHT_LOCATIONS[type],
      rotation: [0, 0, 0],
      scale: [1, 1, 1],
      dimensions: [0.2, 0.2, 0.2],
      color: color ? (parseColorToSrgb(color) as Vec3 | undefined) : undefined,
    });
  }
  state.world.focus = names;
  return true;
};
