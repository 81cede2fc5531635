// The handler that adds objects: several per clause ("a cube and two spheres"), nested ("a cone on
// a cube"), with color, surface, size, name, text, and a position given, relative or arranged.
import { type ObjectType, parseColorToSrgb } from "@bod/contracts";
import { MAX_OBJECTS_PER_INSTRUCTION } from "../capabilities.ts";
import type { Clause } from "../clauses.ts";
import { readDescription, SUBSTANCE_WORDS, unknownWordsQuestion } from "../describing-words.ts";
import { TYPE_LABELS, withArticle } from "../descriptions.ts";
import { BASE_NAMES } from "../lexicon.ts";
import { describeMaterial, materialArgs } from "../materials.ts";
import { defaultAnchor, floorHeight, isFloor as isFloorObject, placeBeside, placeRelative, readRelation } from "../placement.ts";
import { type Handler, type PlanState, push } from "../plan-state.ts";
import { findReferences, OBJECT_NOUN_MAP, OBJECT_NOUN_PATTERN } from "../references.ts";
import { formatVec, readColor, readCount, readMaterial, readVector, round, roundVec } from "../values.ts";
import { dimensionsOf, PlanRefusal, type Vec3 } from "../world.ts";
import { validateName } from "./object-handlers.ts";

const ADD_VERB =
  /^(?:(?:make|build|create|draw|give) me|stack(?: up)?|pile(?: up)?|add|create|make|put|place|insert|give me|generate|build|spawn|draw|include|drop|there should be|i want|i need|i'd like|i would like|show me|new|and)\s+/;
export const OBJECT_PHRASE = new RegExp(
  String.raw`(?:^|\s)(?:((?:a )?few|(?:a )?couple(?: of)?|(?:a )?pair of|(?:a )?dozen|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|\d+|some|several|another)\s+)?((?:[#\w'-]+\s+){0,5}?)(${OBJECT_NOUN_PATTERN})\b`,
);

/** Words that continue an object phrase after "and": "a cube at 1, 2, 3 and named Box". */
const CONTINUATION =
  /^(?:on|above|below|under|over|next|beside|near|behind|in|at|to|with|named|called|saying|that|which|facing|spaced|scaled|size|scale)\b|^(?:[a-z]+ )?(?:metallic|glossy|shiny|matte|glowing|transparent|big|small|large|tiny|huge)\b/;

function splitObjectPhrases(text: string): string[] {
  const phrases: string[] = [];
  let current = "";
  for (const part of text.split(
    /\s*,\s*(?=[a-z⟦#])(?:and\s+)?|\s+and\s+(?=[a-z⟦#])|\s+plus\s+|\s+along with\s+|\s+with\s+(?=(?:an?|one|two|three|four|five|\d+)\s+(?:[#\w-]+\s+){0,4}?(?:cubes?|spheres?|balls?|cones?|cylinders?|tor(?:us|i)|donuts?|monkeys?|planes?|circles?|icospheres?|boxes)\b)/,
  )) {
    const startsNew =
      OBJECT_PHRASE.test(part) &&
      /^(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|\d+|some|several|few|a few|couple|a couple|pair|a pair|dozen|a dozen|another)\b/.test(
        part,
      );
    const afterRelation = /\b(?:above|below|on|next to|left of|right of|in front of|behind|beside|near|under|over)\s*$/.test(current);
    if (current && startsNew && !afterRelation) {
      phrases.push(current);
      current = part;
    } else if (current && !afterRelation && !OBJECT_PHRASE.test(part) && !CONTINUATION.test(part) && !/^[\d⟦#-]/.test(part)) {
      // "add a cube and fly to the moon": the second part is not about the object.
      throw new PlanRefusal(`I could not read "${part}".`, true);
    } else current = current ? `${current} and ${part}` : part;
  }
  if (current) phrases.push(current);
  return phrases;
}

function readTextContent(phrase: string, clause: Clause, state: PlanState): string | undefined {
  const quoted = /⟦(\d+)⟧/.exec(phrase);
  if (quoted) return state.quotes[Number(quoted[1])];
  const index = clause.text.indexOf(phrase);
  const source = index >= 0 ? clause.original.slice(index, index + phrase.length) : phrase;
  const saying = /\b(?:saying|that says|which says|reading|that reads|with the (?:text|words?)|says)\s+(.+)$/i.exec(source);
  return saying?.[1]?.trim();
}

const NESTED_ADD =
  /^(.*?)\s+(on top of|on|onto|above|over|below|under|underneath|beneath|next to|beside|to the left of|to the right of|left of|right of|in front of|behind|near)\s+((?:an?|one)\s+.*)$/;

function withoutColor<T extends { color?: string }>(words: T): Omit<T, "color"> {
  const { color: _color, ...rest } = words;
  return rest;
}

interface AddSpec {
  type: ObjectType;
  count: number;
  phrase: string;
}

export const handleAdd: Handler = (clause, state) => {
  let text = clause.text;
  const verb = ADD_VERB.exec(text);
  // "stack two cubes", "pile up three boxes": the objects are added in a stack.
  const stacked = verb !== null && /^(?:stack|pile)/.test(verb[0]);
  if (verb) text = text.slice(verb[0].length);
  else if (!OBJECT_PHRASE.test(text) || /^(?:the|this|that|these|those|it|them)\b/.test(text)) return false;
  // "a row of 4 blue cubes", "a ring of six spheres": the arrangement of the objects, not a torus.
  text = text.replace(
    /^(?:a |an )?(row|line|circle|ring|grid|stack|pile|tower|column) of ((?:\w+ ){0,4}?(?:[\w-]+s|tori))\b/,
    (_whole, shape: string, objects: string) =>
      `${objects} in a ${/circle|ring/.test(shape) ? "circle" : /stack|pile|tower|column/.test(shape) ? "stack" : shape === "grid" ? "grid" : "row"}`,
  );
  // "create a scene with a red cube and ...": the objects are what is added.
  text = text.replace(/^(?:a |an |the |my )?(?:new )?(?:scene|image|picture|composition)\s+(?:with|containing|that has|of)\s+/, "");
  // "a red cube on top of a blue cube": the blue cube is new too; add it first, then the red one on "it".
  const phrases = splitObjectPhrases(text)
    // "a cube with a sphere on top": a relation with nothing after it is to the object before.
    .map((phrase, index) =>
      index > 0
        ? phrase.replace(/\b(on top|above|below|underneath|under|beside|next to|in front|behind)$/, (words) =>
            words === "on top" || words === "in front" ? `${words} of it` : `${words} it`,
          )
        : phrase,
    )
    .flatMap((phrase) => {
      const nested = NESTED_ADD.exec(phrase);
      if (!nested || !OBJECT_PHRASE.test(nested[1]!) || !OBJECT_PHRASE.test(nested[3]!)) return [phrase];
      return [nested[3]!, `${nested[1]} ${nested[2]} it`];
    });
  const specs: AddSpec[] = [];
  for (const phrase of phrases) {
    const match = OBJECT_PHRASE.exec(phrase);
    if (!match) {
      if (specs.length > 0) {
        specs[specs.length - 1]!.phrase += ` and ${phrase}`;
        continue;
      }
      return false;
    }
    const determiner = (match[1] ?? "").replace(/^a /, "");
    const adjectives = match[2] ?? "";
    if (/\b(?:the|this|that|these|those|my)\b/.test(adjectives) && !verb) return false;
    const noun = match[3]!;
    const type = OBJECT_NOUN_MAP.get(noun)!;
    const plural = /(?:s|tori)$/.test(noun) && !/(?:torus|glass)$/.test(noun);
    const count =
      readCount(determiner.replace(/ of$/, "")) ??
      (determiner === "some" ? (plural ? 3 : 1) : determiner === "another" ? 1 : undefined) ??
      readCount(/^(\d+|\w+)\s/.exec(adjectives)?.[1]) ??
      (plural ? 3 : 1);
    const unknown = readDescription(adjectives).unknown;
    if (unknown.length > 0) throw new PlanRefusal(unknownWordsQuestion(unknown, `the ${noun}`));
    specs.push({ type, count, phrase: stacked ? `${phrase} stacked` : phrase });
  }
  if (specs.length === 0) return false;
  const total = specs.reduce((sum, spec) => sum + spec.count, 0);
  if (total > MAX_OBJECTS_PER_INSTRUCTION)
    throw new PlanRefusal(`That is ${total} objects; I add at most ${MAX_OBJECTS_PER_INSTRUCTION} at a time.`);
  const added: string[] = [];
  for (const spec of specs) {
    const names = addObjects(spec, clause, state);
    added.push(...names);
    // "a cube and a sphere on top of it": "it" is the previous object of the same instruction.
    state.world.focus = names;
  }
  state.world.focus = added;
  return true;
};

function addObjects(spec: AddSpec, clause: Clause, state: PlanState): string[] {
  const { world } = state;
  const { type, count, phrase } = spec;
  const isFloor = /\b(?:floor|ground)\b/.test(phrase) && type === "plane";
  // Words before the noun describe the object; a relation may name other objects ("above the red cube").
  const nounIndex = phrase.search(new RegExp(String.raw`\b(?:${OBJECT_NOUN_PATTERN})\b`));
  const ownWords = phrase.slice(0, nounIndex + 1 > 0 ? nounIndex : phrase.length);
  const tail = phrase.slice(Math.max(nounIndex, 0));
  const relationWords =
    /\b(?:on top of|on|onto|above|over|below|under|underneath|beneath|to the left of|left of|to the right of|right of|in front of|behind|next to|beside|near|inside(?: of)?|into|within|around|surrounding|as big as|as large as|the size of)\b/;
  const relationAt = tail.search(relationWords);
  const tailOwn = relationAt >= 0 ? tail.slice(0, relationAt) : tail;
  const descriptive = `${ownWords} ${tailOwn.replace(/\b(?:named|called)\s+\S+/, "")}`.replace(/⟦\d+⟧/g, " ");
  const described = readDescription(ownWords);
  const substance = described.substances[0] ? SUBSTANCE_WORDS[described.substances[0]] : undefined;
  const color = readColor(descriptive.replace(/\b(?:saying|that says|reading).*$/, "")) ?? substance?.color;
  const material = substance ? { ...withoutColor(substance), ...readMaterial(descriptive) } : readMaterial(descriptive);
  // Size: adjectives ("small", "tall"), "size 2", "3 meters tall", "twice as big as the cube".
  let scale: Vec3 = described.shape.map((value) => round(value * described.size)) as Vec3;
  const sizeWord = described.size !== 1 || described.shape.some((value) => value !== 1);
  const sizeNumber = /\b(?:size|scale|scaled(?: by)?)\s*(?:of\s*|=\s*)?(\d+(?:\.\d+)?)\b/.exec(phrase);
  if (sizeNumber) scale = [Number(sizeNumber[1]), Number(sizeNumber[1]), Number(sizeNumber[1])];
  // Measures: "3 m tall", "50 cm wide", "4 m high and 1 m wide" (each side its own), "radius 2".
  const measures = [...phrase.matchAll(MEASURE_PATTERN)].map((match) => ({
    size: toMeters(Number(match[1]), match[2]!),
    word: match[3]!,
  }));
  const round_ = /\b(radius|diameter|side(?: length)?)\s+(?:of\s+)?(\d+(?:\.\d+)?)\s*(cm|mm|m|meters?|metres?|units?)?\b/.exec(phrase);
  if (round_) measures.push({ size: toMeters(Number(round_[2]) * (round_[1] === "radius" ? 2 : 1), round_[3] ?? "m"), word: "big" });
  const meters = measures.length > 0;
  if (meters) {
    const base = dimensionsOf(type, [1, 1, 1]);
    const axisOf = (word: string) => (/tall|high/.test(word) ? 2 : /long|deep/.test(word) ? 1 : /wide|across/.test(word) ? 0 : -1);
    if (measures.length === 1) {
      const axis = Math.max(0, axisOf(measures[0]!.word));
      const value = measures[0]!.size / (base[axis] || 2);
      scale = [value, value, value];
    } else {
      const sized: Array<number | undefined> = [undefined, undefined, undefined];
      for (const measure of measures) {
        const axis = axisOf(measure.word);
        for (const each of axis < 0 ? [0, 1, 2] : [axis]) sized[each] = measure.size / (base[each] || 2);
      }
      // A width without a depth makes the footprint square (a cylinder stays round).
      if (sized[1] === undefined) sized[1] = sized[0];
      const known = sized.find((value) => value !== undefined) ?? 1;
      scale = sized.map((value) => round(value ?? known)) as Vec3;
    }
  }
  const comparison = /\b(?:(twice|two times|three times|half|\d+(?:\.\d+)? times)\s+)?(?:as big as|as large as|the size of)\s+(.*)$/.exec(
    tail,
  );
  if (comparison) {
    const reference = findReferences(comparison[2]!, state)[0];
    if (reference) {
      const anchor = reference.objects[0]!;
      const factor =
        comparison[1] === undefined
          ? 1
          : /twice|two/.test(comparison[1])
            ? 2
            : /three/.test(comparison[1])
              ? 3
              : /half/.test(comparison[1])
                ? 0.5
                : Number.parseFloat(comparison[1]);
      const base = dimensionsOf(type, [1, 1, 1]);
      const value = (Math.max(...anchor.dimensions) / Math.max(...base)) * factor;
      scale = [value, value, value];
    }
  }
  if (isFloor && !sizeWord && !sizeNumber && !meters) scale = [10, 10, 10];
  if (scale.some((value) => value < 0.001 || value > 10_000))
    throw new PlanRefusal("Sizes must be between 0.001 and 10000 times the default.");
  const size = dimensionsOf(type, scale);

  let text: string | undefined;
  if (type === "text") {
    text = readTextContent(phrase, clause, state);
    if (!text) throw new PlanRefusal(`What should the text say? Put it in quotes, e.g. add text "Hello".`);
  }

  // Name: "named Box", "called 'Big Box'".
  let requestedName: string | undefined;
  const nameMatch = /\b(?:named|called|name it|call it)\s+(⟦\d+⟧|[^\s,]+)/.exec(phrase);
  if (nameMatch) {
    const token = nameMatch[1]!;
    const quote = /⟦(\d+)⟧/.exec(token);
    if (quote) requestedName = state.quotes[Number(quote[1])];
    else {
      const index = clause.text.indexOf(phrase);
      const offset = phrase.indexOf(token, nameMatch.index);
      requestedName = index >= 0 ? clause.original.slice(index + offset, index + offset + token.length) : token;
    }
  }

  // Position: explicit, relative to another object, arranged, or beside what is there.
  const explicit = readVector(phrase.replace(/\b(?:size|scale)\s*\d+(?:\.\d+)?/g, ""));
  // "2 m to the left of the cone": the distance before the relation belongs to it.
  const distanceAt = relationAt >= 0 ? tail.slice(0, relationAt).search(/\d+(?:\.\d+)?\s*(?:m|meters?|metres?|units?)?\s+$/) : -1;
  const relation = relationAt >= 0 && !comparison ? readRelation(tail.slice(distanceAt >= 0 ? distanceAt : relationAt), state) : undefined;
  const unread = unreadTailWords(
    tail,
    relation
      ? {
          start: (distanceAt >= 0 ? distanceAt : relationAt) + relation.start,
          end: (distanceAt >= 0 ? distanceAt : relationAt) + relation.end,
        }
      : undefined,
  );
  if (unread.length > 0) throw new PlanRefusal(unknownWordsQuestion(unread, `the ${TYPE_LABELS[type]}`));
  const sideways =
    !relation && !explicit ? /\b(?:on|to) the (left|right)\b|\bin (front)\b|\b(behind)\b|\bin the (back)\b/.exec(phrase) : null;
  const arrangement =
    /\b(?:in a (?:circle|ring)|around (?:a|the) (?:circle|origin|center))\b/.test(phrase) || relation?.relation === "around"
      ? "circle"
      : /\b(?:stacked|in a stack|on top of each other|in a tower|in a column)\b/.test(phrase)
        ? "stack"
        : /\bin a grid\b/.test(phrase)
          ? "grid"
          : "row";
  const spacingMatch = /(\d+(?:\.\d+)?)\s*(?:m|meters?|metres?|units?)?\s*apart\b|\bspaced\s*(?:by\s*)?(\d+(?:\.\d+)?)/.exec(phrase);
  const step = spacingMatch ? Number(spacingMatch[1] ?? spacingMatch[2]) : size[0] + 1;
  const columns = Math.ceil(Math.sqrt(count));
  const groupWidth =
    arrangement === "row" ? size[0] + (count - 1) * step : arrangement === "grid" ? size[0] + (columns - 1) * step : size[0];
  let anchor: Vec3;
  if (explicit) anchor = explicit;
  else if (/\b(?:at|in) the (?:origin|center|centre|middle)\b/.test(phrase)) anchor = [0, 0, 0];
  else if (relation) {
    const groupSize: Vec3 =
      arrangement === "row" ? [groupWidth, size[1], size[2]] : arrangement === "stack" ? [size[0], size[1], size[2] * count] : size;
    if (relation.relation === "inside" && size.some((value, axis) => value > relation.box.size[axis]! + 1e-6))
      throw new PlanRefusal(
        `${withArticle(TYPE_LABELS[type])} of that size does not fit inside ${relation.anchor.name}; make it smaller, e.g. "a tiny ${TYPE_LABELS[type]} inside the ${relation.anchor.primitive ? TYPE_LABELS[relation.anchor.primitive] : relation.anchor.name}".`,
      );
    anchor =
      relation.relation === "beside"
        ? placeBeside(world, relation.box, groupSize, relation.gap)
        : relation.relation === "on" && isFloorObject(relation.anchor)
          ? // "on the floor": on its top, beside what already stands there.
            [defaultAnchor(world, groupWidth, size)[0], 0, relation.box.center[2] + relation.box.size[2] / 2 + groupSize[2] / 2]
          : placeRelative(relation.box, relation.relation, groupSize, relation.gap);
    if (arrangement === "stack") anchor[2] -= (size[2] * (count - 1)) / 2;
  } else if (isFloor) anchor = [0, 0, floorHeight(world)];
  else if (sideways) {
    const objects = world.placementObjects();
    const side = sideways[1] ?? sideways[2] ?? sideways[3] ?? sideways[4];
    if (objects.length === 0)
      anchor = side === "left" ? [-3, 0, 0] : side === "right" ? [3, 0, 0] : side === "front" ? [0, -3, 0] : [0, 3, 0];
    else if (side === "left") anchor = [Math.min(...objects.map((o) => o.location[0] - o.dimensions[0] / 2)) - 1 - groupWidth / 2, 0, 0];
    else if (side === "right") anchor = [Math.max(...objects.map((o) => o.location[0] + o.dimensions[0] / 2)) + 1 + groupWidth / 2, 0, 0];
    else if (side === "front") anchor = [0, Math.min(...objects.map((o) => o.location[1] - o.dimensions[1] / 2)) - 1 - size[1] / 2, 0];
    else anchor = [0, Math.max(...objects.map((o) => o.location[1] + o.dimensions[1] / 2)) + 1 + size[1] / 2, 0];
  } else anchor = defaultAnchor(world, groupWidth, size);

  const names: string[] = [];
  const base = isFloor ? (/\bground\b/.test(phrase) ? "Ground" : "Floor") : BASE_NAMES[type];
  for (let index = 0; index < count; index++) {
    let location: Vec3;
    if (count === 1) location = anchor;
    else if (arrangement === "circle") {
      // Around an object: clear of it, with room between the objects.
      const clear =
        relation?.relation === "around"
          ? Math.hypot(relation.box.size[0], relation.box.size[1]) / 2 + Math.max(size[0], size[1]) / 2 + 0.5
          : 0;
      const radius = Math.max(step, (count * step) / (2 * Math.PI), clear);
      const angle = (2 * Math.PI * index) / count;
      location = [anchor[0] + radius * Math.cos(angle), anchor[1] + radius * Math.sin(angle), anchor[2]];
    } else if (arrangement === "stack") location = [anchor[0], anchor[1], anchor[2] + index * size[2]];
    else if (arrangement === "grid") {
      const rows = Math.ceil(count / columns);
      location = [
        anchor[0] + ((index % columns) - (columns - 1) / 2) * step,
        anchor[1] + (Math.floor(index / columns) - (rows - 1) / 2) * step,
        anchor[2],
      ];
    } else location = [anchor[0] + (index - (count - 1) / 2) * step, anchor[1], anchor[2]];
    location = roundVec(location);
    const name =
      requestedName && count === 1
        ? validateName(requestedName, world)
        : requestedName
          ? world.uniqueName(`${requestedName}.${String(index + 1).padStart(3, "0")}`)
          : world.uniqueName(base);
    const args: Record<string, unknown> = { type, name };
    if (text !== undefined) args.text = text;
    const surface = materialArgs(material, color);
    const baseColor = color ?? (surface.color as string | undefined);
    if (baseColor) args.color = baseColor;
    delete surface.color;
    args.location = location;
    if (scale[0] !== 1 || scale[1] !== 1 || scale[2] !== 1)
      args.scale = scale[0] === scale[1] && scale[1] === scale[2] ? round(scale[0]) : roundVec(scale);
    const label = type === "text" ? `text "${text}"` : TYPE_LABELS[type];
    push(
      state,
      "add_object",
      args,
      `Added ${withArticle(`${baseColor ? `${baseColor} ` : ""}${label}`)} named ${name} at ${formatVec(location)}${args.scale !== undefined ? `, scale ${typeof args.scale === "number" ? args.scale : formatVec(args.scale as Vec3)}` : ""}.`,
    );
    if (Object.keys(surface).length > 0) push(state, "set_material", { name, ...surface }, `Made ${name} ${describeMaterial(surface)}.`);
    world.addObject({
      name,
      kind: "object",
      primitive: type,
      lightType: undefined,
      location,
      rotation: [0, 0, 0],
      scale,
      dimensions: size,
      color: baseColor ? (parseColorToSrgb(baseColor) as Vec3 | undefined) : undefined,
    });
    names.push(name);
  }
  return names;
}

/** A measure of one side: "3 m tall", "50 cm wide", "2 units long". */
const MEASURE_PATTERN = /(\d+(?:\.\d+)?)\s*(cm|mm|m|meters?|metres?|units?)\s+(tall|high|wide|across|long|deep|big|in size|in diameter)\b/g;

function toMeters(value: number, unit: string): number {
  return unit === "cm" ? value / 100 : unit === "mm" ? value / 1000 : value;
}

/** What may follow an object's noun: positions, arrangements, names, text, sizes; each is read. */
const TAIL_PATTERNS: readonly RegExp[] = [
  /\b(?:named|called|name it|call it)\s+(?:⟦\d+⟧|[^\s,]+)/g,
  /\b(?:saying|that says|which says|reading|that reads|with the (?:text|words?)|says)\b.*$/g,
  /⟦\d+⟧/g,
  /\b(?:at|to)?\s*\(?\[?\s*-?\d+(?:\.\d+)?\s*(?:,\s*|\s+)-?\d+(?:\.\d+)?\s*(?:,\s*|\s+)-?\d+(?:\.\d+)?\s*\]?\)?/g,
  /\b(?:at\s+)?[xyz]\s*(?:=|:)?\s*-?\d+(?:\.\d+)?\b/g,
  /\b(?:at|in) the (?:origin|center|centre|middle)\b/g,
  /\b(?:in a (?:row|line|circle|ring|grid|stack|column|tower)|stacked|in a stack|on top of each other|side by side|(?:evenly|equally) spaced|around (?:a|the) (?:circle|origin|center))\b/g,
  /\b\d+(?:\.\d+)?\s*(?:m|meters?|metres?|units?)?\s*apart\b|\bspaced\s*(?:by\s*)?\d+(?:\.\d+)?(?:\s*(?:m|meters?|metres?|units?))?(?:\s+apart)?/g,
  /\b(?:size|scale|scaled(?: by)?)\s*(?:of\s*|=\s*)?\d+(?:\.\d+)?/g,
  /\b\d+(?:\.\d+)?\s*(?:cm|mm|m|meters?|metres?|units?)\s+(?:tall|high|wide|across|long|deep|big|in size|in diameter)\b/g,
  /\b(?:radius|diameter|side(?: length)?)\s+(?:of\s+)?\d+(?:\.\d+)?\s*(?:cm|mm|m|meters?|metres?|units?)?\b/g,
  /\b(?:(?:twice|two times|three times|half|\d+(?:\.\d+)? times)\s+)?(?:as big as|as large as|the size of)\b.*$/g,
  /\b(?:on|to) the (?:left|right)\b|\bin front\b|\bbehind\b|\bin the back\b/g,
  /\bon top it\b|\bon top of it\b/g,
];

const TAIL_FILLER = new Set([
  "finish",
  "surface",
  "look",
  "material",
  "and",
  "with",
  "that",
  "which",
  "is",
  "are",
  "it",
  "its",
  "in",
  "of",
  "the",
  "a",
  "an",
  "made",
  "colored",
  "coloured",
  "please",
  "too",
  "also",
  "each",
  "both",
  "all",
]);

/**
 * The words after an object's noun that nothing reads ("a cube on each side of the sphere": "side").
 * `relation` is the span of a relation with its object ("above the red cube"), read elsewhere.
 */
function unreadTailWords(tail: string, relation: { start: number; end: number } | undefined): string[] {
  let rest = relation ? `${tail.slice(0, relation.start)} ${tail.slice(relation.end)}` : tail;
  rest = rest.replace(new RegExp(String.raw`^(?:${OBJECT_NOUN_PATTERN})\b`), " ");
  for (const pattern of TAIL_PATTERNS) rest = rest.replace(pattern, " ");
  const words = rest.split(/[\s,.;:]+/).filter((word) => word && !TAIL_FILLER.has(word));
  return readDescription(words.join(" ")).unknown;
}
