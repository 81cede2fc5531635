// The handler that builds composites ("build a snowman", "a small wooden table with three legs next
// to the cube"): the parts from composites.ts as add_object calls, grouped under one name
// (create_group) so that the composite moves, turns and is deleted as one.
import { parseColorToSrgb } from "@bod/contracts";
import type { Clause } from "../clauses.ts";
import {
  buildComposite,
  COMPOSITE_NOUNS,
  type CompositeKind,
  type CompositePart,
  findComposite,
  partsBounds,
  partTransform,
} from "../composites.ts";
import { readDescription, SUBSTANCE_WORDS, unknownWordsQuestion } from "../describing-words.ts";
import { NUMBER_WORDS } from "../lexicon.ts";
import { materialArgs } from "../materials.ts";
import { defaultAnchor, groundHeight, isFloor, placeBeside, placeRelative, RELATION_LABELS, readRelation } from "../placement.ts";
import { type Handler, hasTool, type PlanState, push, pushTool, toolHasField } from "../plan-state.ts";
import { escapeRegExp, formatVec, readColors, readCount, readVector, roundVec } from "../values.ts";
import { PlanRefusal, type Vec3 } from "../world.ts";
import { handleAdd, OBJECT_PHRASE } from "./add-handlers.ts";
import { validateName } from "./object-handlers.ts";

/** Most composites one instruction builds. */
const MAX_COMPOSITES = 10;

const COUNT = String.raw`an?|one|two|three|four|five|six|seven|eight|nine|ten|\d+|some|several|a few|few|a couple of|a pair of`;
const COMPOSITE_PATTERN = new RegExp(
  String.raw`^(?:(?:add|create|make|build|put|place|insert|give|generate|draw|construct|model|i want|i need|i'd like|i would like|there should be|let there be)(?: me)?\s+)?(?:(${COUNT})\s+)?((?:[#\w%-]+\s+){0,5}?)(${COMPOSITE_NOUNS.map(escapeRegExp).join("|")})\b(.*)$`,
);

/** What may follow the noun, each read into the plan; anything else is asked about. */
const TAIL_PARTS: readonly RegExp[] = [
  /^\s*with (?:(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty) )?(legs?|posts?|steps?|shelves|boards|levels|floors|storeys|stories)\b/,
  /^\s*(?:with )?(?:an? )?((?:[a-z]+ ){1,2}?)(top|roof|legs?|seat|back|door|windows?|hat|nose|body|wheels?|cabin|leaves|trunk|shade|base|pole|cap|stem|walls?|posts?|rails?|steps?|mattress|frame|pillars?|lintel|fins?)\b/,
  /^\s*(?:named|called) (?:⟦\d+⟧|[^\s,]+)/,
  /^\s*at (?:the )?(?:origin|center|centre|middle)\b/,
  /^\s*(?:at|to)\s+\(?\[?-?\d+(?:\.\d+)?\s*(?:,\s*|\s+)-?\d+(?:\.\d+)?\s*(?:,\s*|\s+)-?\d+(?:\.\d+)?\s*\]?\)?/,
  /^\s*in a row\b/,
  /^\s*(?:on|to) the (?:left|right)\b|^\s*in (?:the )?(?:front|back)\b/,
];

/** Whether a phrase asks for a composite (and not for a primitive before a composite's noun). */
function composite(text: string): boolean {
  return (
    COMPOSITE_PATTERN.test(text) &&
    !OBJECT_PHRASE.test(text.replace(new RegExp(String.raw`\b(?:${COMPOSITE_NOUNS.map(escapeRegExp).join("|")})\b.*$`), ""))
  );
}

/** "a lamp on a table": the thing after the relation is new too, and is built first. */
const NESTED =
  /^(.*?)\s+(on top of|on|onto|next to|beside|to the left of|to the right of|left of|right of|in front of|behind|near)\s+((?:an?|one)\s+.*)$/;

export const handleComposite: Handler = (clause, state) => {
  // "create a scene with a table and a chair": the objects are what is added.
  const scene =
    /^((?:add|create|make|build|give me|i want)\s+)(?:a |an |the |my )?(?:new |simple |small |little )?(?:scene|image|picture|composition|room)\s+(?:with|containing|that has|of)\s+/.exec(
      clause.text,
    );
  if (scene) {
    const cut = scene[0].length;
    return handleComposite({ text: `${scene[1]}${clause.text.slice(cut)}`, original: `${scene[1]}${clause.original.slice(cut)}` }, state);
  }
  const match = COMPOSITE_PATTERN.exec(clause.text);
  if (!match) return false;
  // "a table with a lamp on it": the table, then the lamp on it.
  const topping = /^(.*?)\s+with\s+((?:an?|one|two|three|four|five|\d+)\s+.+?)\s+on (?:it|top(?: of it)?)$/.exec(clause.text);
  if (topping && composite(topping[1]!)) {
    const base = { text: topping[1]!, original: clause.original.slice(0, topping[1]!.length) };
    if (!handleComposite(base, state)) return false;
    const below = state.world.focus;
    const start = clause.text.length - topping[0].length + topping[0].indexOf(topping[2]!, topping[1]!.length);
    const own = { text: `add ${topping[2]} on it`, original: `add ${clause.original.slice(start, start + topping[2]!.length)} on it` };
    if (!handleComposite(own, state) && !handleAdd(own, state)) throw new PlanRefusal(`I could not read "${topping[2]}".`, true);
    state.world.focus = [...below, ...state.world.focus];
    return true;
  }
  const nested = NESTED.exec(clause.text);
  if (
    nested &&
    (composite(nested[1]!) || OBJECT_PHRASE.test(nested[1]!)) &&
    (composite(`add ${nested[3]}`) || OBJECT_PHRASE.test(nested[3]!)) &&
    (composite(nested[1]!) || composite(`add ${nested[3]}`))
  ) {
    const base = { text: `add ${nested[3]}`, original: `add ${clause.original.slice(clause.text.length - nested[3]!.length)}` };
    if (!handleComposite(base, state) && !handleAdd(base, state)) return false;
    const below = state.world.focus;
    const own = { text: `${nested[1]} ${nested[2]} it`, original: `${clause.original.slice(0, nested[1]!.length)} ${nested[2]} it` };
    if (!handleComposite(own, state) && !handleAdd(own, state)) return false;
    state.world.focus = [...below, ...state.world.focus];
    return true;
  }
  const [, countWord, adjectives = "", noun = "", fullTail = ""] = match;
  // "a house and a tree", "a table and two chairs": what follows "and" is added after this one.
  const next = /\s*(?:,\s*(?:and\s+)?|\band\s+)(?=(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|\d+|some|several|a few)\s)/.exec(
    fullTail,
  );
  const rawTail = next ? fullTail.slice(0, next.index) : fullTail;
  if (
    /\b(?:the|this|that|these|those|my|it)\b/.test(adjectives) ||
    (!countWord && !/^(?:add|create|make|build|put|place|insert|give|generate|draw|construct|model|i |there|let)/.test(clause.text))
  )
    return false;
  const kind = findComposite(noun)!;
  const described = readDescription(adjectives);
  if (described.unknown.length > 0) throw new PlanRefusal(unknownWordsQuestion(described.unknown, `the ${noun}`));
  const plural = noun !== kind.nouns.find((word) => word === noun) || noun === "stairs";
  const number = countWord?.replace(/^a (?:few|couple of|pair of)$/, (words) =>
    words === "a few" ? "few" : words.includes("couple") ? "couple" : "pair",
  );
  const count =
    readCount(number) ?? (number === "some" ? (plural ? 3 : 1) : undefined) ?? (plural && noun !== "stairs" && noun !== "steps" ? 3 : 1);
  if (count > MAX_COMPOSITES) throw new PlanRefusal(`That is ${count} ${noun}; I build at most ${MAX_COMPOSITES} at a time.`);

  // The words after the noun: a count of parts, a name, a position, a relation to another object.
  let tail = rawTail;
  const partLooks: Array<{ label: string; description: ReturnType<typeof readDescription> }> = [];
  let partCount: number | undefined;
  let name: string | undefined;
  let explicit: Vec3 | undefined;
  let side: string | undefined;
  for (;;) {
    const trimmed = tail.replace(/^\s*(?:,|and)\s*/, " ");
    const matches = TAIL_PARTS.map((pattern) => pattern.exec(trimmed));
    const which = matches.findIndex((found) => found !== null);
    const part = matches[which];
    if (!part) break;
    const words = part[0];
    if (which === 1) {
      // "with a red roof", "with black legs": the look of those parts.
      const look = readDescription(part[1]!);
      const label = part[2]!.replace(/s$/, "");
      if (look.unknown.length > 0 || (!look.color && !look.material && look.substances.length === 0))
        throw new PlanRefusal(unknownWordsQuestion([words.trim()], `the ${noun}`));
      if (!kind.build({ size: 1, shape: [1, 1, 1], pyramids: true }).some((entry) => entry.label.toLowerCase().startsWith(label)))
        throw new PlanRefusal(`A ${kind.name.toLowerCase()} has no ${part[2]}.`);
      partLooks.push({ label, description: look });
    } else if (/^\s*with/.test(words)) {
      if (!kind.counts?.noun.test(part[2]!)) throw new PlanRefusal(`A ${kind.name.toLowerCase()} has no ${part[2]} I can count.`);
      // "with legs" without a number: as many as it has anyway.
      partCount = readCount(part[1]) ?? (part[1] ? NUMBER_WORDS[part[1]] : kind.counts.default);
      if (partCount === undefined)
        throw new PlanRefusal(`How many ${part[2]}? e.g. "a ${kind.name.toLowerCase()} with ${kind.counts.default} ${part[2]}".`);
      if (partCount < kind.counts.min || partCount > kind.counts.max)
        throw new PlanRefusal(
          `A ${kind.name.toLowerCase()} has ${kind.counts.min} to ${kind.counts.max} ${part[2]} (asked for ${partCount}).`,
        );
    } else if (/^\s*(?:named|called)/.test(words)) {
      name = readName(words, clause, state, rawTail, tail);
    } else if (/origin|center|centre|middle/.test(words)) explicit = [0, 0, 0];
    else if (/left|right|front|back/.test(words)) side = /left|right|front|back/.exec(words)![0];
    else if (/^\s*in a row/.test(words)) {
      // The default arrangement for several.
    } else explicit = readVector(words);
    tail = trimmed.slice(words.length);
  }
  const relation = tail.trim() ? readRelation(tail, state) : undefined;
  if (tail.trim() && !relation) throw new PlanRefusal(unknownWordsQuestion([tail.trim()], `the ${noun}`));
  if (relation?.relation === "inside" || relation?.relation === "around")
    throw new PlanRefusal(`I build a ${kind.name.toLowerCase()} on, beside, in front of or behind things, not ${relation.relation} them.`);
  if (relation) {
    // Only the relation and its object may remain: "on the floor", "next to the red cube".
    const relationWords =
      /^\s*(?:(\d+(?:\.\d+)?)\s*(?:m|meters?|metres?|units?)?\s+)?(on top of|on|onto|above|over|below|under|underneath|beneath|to the left of|left of|on the left of|to the right of|right of|on the right of|in front of|behind|next to|beside|near|by)\s+/.exec(
        tail,
      );
    if (!relationWords) throw new PlanRefusal(unknownWordsQuestion([tail.trim()], `the ${noun}`));
  }

  const substance = described.substances[0] ? SUBSTANCE_WORDS[described.substances[0]] : undefined;
  const colors = readColors(adjectives).map((found) => found.color);
  const mainColor = colors[0] ?? substance?.color;
  const accentColor = colors[1];
  const material = described.material ?? (substance ? { roughness: substance.roughness, metallic: substance.metallic } : undefined);
  const pyramids = toolHasField("add_object", "segments");
  const parts = buildComposite(kind, {
    size: described.size,
    shape: described.shape,
    ...(partCount !== undefined ? { count: partCount } : {}),
    pyramids,
  });
  const bounds = partsBounds(parts);
  const size = bounds.max.map((value, axis) => value - bounds.min[axis]!) as Vec3;
  const step = size[0] + 1;
  const rowWidth = size[0] + (count - 1) * step;

  // The origin of the first one: on the ground, beside what is there, unless told otherwise.
  let origin: Vec3;
  const ground = groundHeight(state.world);
  if (explicit) origin = explicit;
  else if (relation && isFloor(relation.anchor)) {
    // "on the floor": on its top, beside what already stands there.
    const beside = defaultAnchor(state.world, rowWidth, size);
    origin = [beside[0] - ((count - 1) * step) / 2, 0, relation.box.center[2] + relation.box.size[2] / 2];
  } else if (relation) {
    const center =
      relation.relation === "beside"
        ? placeBeside(state.world, relation.box, [rowWidth, size[1], size[2]], relation.gap)
        : placeRelative(relation.box, relation.relation, [rowWidth, size[1], size[2]], relation.gap);
    const onTop = relation.relation === "on" || relation.relation === "above" || relation.relation === "below";
    origin = [
      center[0] - ((count - 1) * step) / 2,
      center[1],
      onTop ? center[2] - size[2] / 2 : Math.max(ground, relation.box.center[2] - relation.box.size[2] / 2),
    ];
  } else {
    const beside = defaultAnchor(state.world, rowWidth, size);
    const objects = state.world.placementObjects();
    const extent = (pick: (values: number[]) => number, axis: number, sign: number) =>
      objects.length === 0
        ? sign * 3
        : pick(objects.map((object) => object.location[axis]! + (sign * object.dimensions[axis]!) / 2)) +
          sign * (1 + (axis === 0 ? rowWidth : size[1]) / 2);
    origin =
      side === "left"
        ? [extent((values) => Math.min(...values), 0, -1), 0, ground]
        : side === "right"
          ? [extent((values) => Math.max(...values), 0, 1), 0, ground]
          : side === "front"
            ? [0, extent((values) => Math.min(...values), 1, -1), ground]
            : side === "back"
              ? [0, extent((values) => Math.max(...values), 1, 1), ground]
              : [beside[0] - ((count - 1) * step) / 2, 0, ground];
  }
  const focus: string[] = [];
  for (let index = 0; index < count; index++) {
    const at = roundVec([origin[0] + index * step, origin[1], origin[2]]);
    const groupName = name && count === 1 ? validateName(name, state.world) : freeGroupName(state, name ?? kind.name, parts);
    buildOne(
      state,
      kind,
      parts,
      groupName,
      at,
      { mainColor, accentColor, material },
      relation ? `${RELATION_LABELS[relation.relation]} ${relation.anchor.name}` : undefined,
      partLooks,
    );
    focus.push(groupName);
    // Resting on a group (a table) means moving with it.
    if (relation?.relation === "on" && relation.anchor.kind === "group" && hasTool("set_parent") && state.world.find(groupName)) {
      pushTool(
        state,
        "set_parent",
        { object: groupName, parent: relation.anchor.name },
        `${groupName} now moves with ${relation.anchor.name}.`,
      );
      state.world.find(groupName)!.parent = relation.anchor.name;
    }
  }
  state.world.focus = focus;
  if (next) {
    const rest = `add ${fullTail.slice(next.index + next[0].length)}`;
    const offset = clause.text.length - (fullTail.length - next.index - next[0].length);
    const restClause = { text: rest, original: `add ${clause.original.slice(offset)}` };
    if (!handleComposite(restClause, state) && !handleAdd(restClause, state))
      throw new PlanRefusal(`I could not read "${rest.slice(4)}".`, true);
    state.world.focus = [...focus, ...state.world.focus];
  }
  return true;
};

function readName(words: string, clause: Clause, state: PlanState, rawTail: string, tail: string): string {
  const quoted = /⟦(\d+)⟧/.exec(words);
  if (quoted) return state.quotes[Number(quoted[1])] ?? "";
  const token = /(?:named|called)\s+(\S+)/.exec(words)![1]!;
  // The user's case: the same span of the original text.
  const start = clause.text.length - rawTail.length + (rawTail.length - tail.length) + words.indexOf(token);
  return clause.original.slice(start, start + token.length) || token;
}

function buildOne(
  state: PlanState,
  kind: CompositeKind,
  parts: readonly CompositePart[],
  groupName: string,
  origin: Vec3,
  look: { mainColor: string | undefined; accentColor: string | undefined; material: ReturnType<typeof readDescription>["material"] },
  where: string | undefined,
  partLooks: ReadonlyArray<{ label: string; description: ReturnType<typeof readDescription> }> = [],
): void {
  const { world } = state;
  const names: string[] = [];
  for (const part of parts) {
    // A composite of one part (a pyramid) is that part, named as the composite, with no group.
    const name = parts.length === 1 ? groupName : world.uniqueName(`${groupName} ${part.label}`);
    const { rotation, scale } = partTransform(part);
    const location = roundVec(part.center.map((value, axis) => value + origin[axis]!));
    const own = partLooks.find((entry) => part.label.toLowerCase().startsWith(entry.label))?.description;
    const ownSubstance = own?.substances[0] ? SUBSTANCE_WORDS[own.substances[0]] : undefined;
    const color =
      own?.color ??
      ownSubstance?.color ??
      (part.role === "main" ? (look.mainColor ?? part.color) : part.role === "accent" ? (look.accentColor ?? part.color) : part.color);
    const args: Record<string, unknown> = { type: part.type, name, color, location };
    if (part.segments !== undefined) args.segments = part.segments;
    if (rotation.some((value) => value !== 0)) args.rotation = rotation;
    args.scale = roundVec(scale);
    push(state, "add_object", args, `Added ${name} (${part.type}) at ${formatVec(location)}.`);
    const ownMaterial = own
      ? (own.material ?? (ownSubstance ? { roughness: ownSubstance.roughness, metallic: ownSubstance.metallic } : undefined))
      : undefined;
    const surface = materialArgs(
      ownMaterial
        ? { ...part.material, ...ownMaterial }
        : part.role === "main" && look.material
          ? { ...part.material, ...look.material }
          : part.material,
      color,
    );
    delete surface.color;
    if (Object.keys(surface).length > 0) push(state, "set_material", { name, ...surface }, `Set ${name}'s surface.`);
    world.addObject({
      name,
      kind: "object",
      primitive: part.type,
      lightType: undefined,
      location,
      rotation,
      scale: roundVec(scale),
      dimensions: [...part.size],
      color: parseColorToSrgb(color) as Vec3 | undefined,
      parent: hasTool("create_group") && parts.length > 1 ? groupName : undefined,
    });
    names.push(name);
  }
  const label = `${kind.name.toLowerCase()} of ${parts.length} parts`;
  if (parts.length === 1) return;
  if (hasTool("create_group")) {
    pushTool(
      state,
      "create_group",
      { name: groupName, objects: names, location: origin },
      `Built a ${label} named ${groupName} at ${formatVec(origin)}${where ? `, ${where}` : ""}.`,
    );
    world.addObject({
      name: groupName,
      kind: "group",
      primitive: undefined,
      lightType: undefined,
      location: origin,
      rotation: [0, 0, 0],
      scale: [1, 1, 1],
      dimensions: [0, 0, 0],
      color: undefined,
      children: names,
    });
  } else {
    state.notes.push(`Built a ${label} (${names.join(", ")}); this worker has no create_group, so they are not grouped.`);
  }
}

/**
 * A name for a new composite that neither an object nor any of its parts' names ("Snowman Base")
 * uses yet: the scene as last seen may hold the parts of an earlier one without its group.
 */
function freeGroupName(state: PlanState, base: string, parts: readonly CompositePart[]): string {
  const taken = (candidate: string) =>
    state.world.find(candidate) !== undefined || parts.some((part) => state.world.find(`${candidate} ${part.label}`));
  if (!taken(base)) return base;
  for (let index = 1; ; index++) {
    const candidate = `${base}.${String(index).padStart(3, "0")}`;
    if (!taken(candidate)) return candidate;
  }
}
