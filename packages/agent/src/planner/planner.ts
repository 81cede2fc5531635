// The offline planner: a deterministic reader of plain English scene instructions into tool calls
// that validate against the tool contracts. No model, no key, no network: the embedded default.
import {
  COLOR_NAMES,
  EXPORT_FORMATS,
  type ExportFormat,
  type LightType,
  MAX_RESOLUTION,
  MAX_SAMPLES,
  type ObjectType,
  parseColorToSrgb,
  type RenderEngine,
  type ToolName,
} from "@bod/contracts";
import type { Scene } from "../scene.ts";
import {
  BASE_NAMES,
  CAMERA_VIEWS,
  DEFAULT_LIGHT_LOCATIONS,
  LIGHT_NOUNS,
  MATERIAL_WORDS,
  type MaterialWords,
  NUMBER_WORDS,
  OBJECT_NOUNS,
  RESOLUTION_WORDS,
  SIZE_WORDS,
} from "./lexicon.ts";
import { colorDistance, dimensionsOf, PlannerWorld, PlanRefusal, SceneNeeded, type Vec3, type WorldObject } from "./world.ts";

/** One tool call the plan makes, with a sentence saying what it does. */
export interface PlannedToolCall {
  name: ToolName;
  arguments: Record<string, unknown>;
  summary: string;
}

export type PlanResult =
  /** Tool calls to make in order (possibly none), and notes for the reply (help, scene descriptions). */
  | { kind: "plan"; calls: PlannedToolCall[]; notes: string[]; focus: string[] }
  /** The message refers to existing objects: call get_scene and plan again with the scene. */
  | { kind: "needs-scene" }
  /** Something could not be read or does not apply; nothing should be called. */
  | { kind: "refusal"; text: string };

export interface PlanOptions {
  /** The scene from get_scene in this turn: references to missing objects are errors. */
  scene?: Scene;
  /** The scene as last seen (may be stale): used only to name and place new objects. */
  lastSeenScene?: Scene;
  /** Names of the objects the previous turn touched: what "it" means at the start of a message. */
  focus?: readonly string[];
}

/** Largest number of objects one instruction may add. */
export const MAX_OBJECTS_PER_INSTRUCTION = 50;

/** What the planner can do, with examples; the reply to "help" and to anything it cannot read. */
export const CAPABILITIES = [
  'add objects: cube, sphere, ico sphere, cylinder, cone, torus, plane or floor, circle, monkey, text "Hello" (e.g. "three blue spheres in a row", "a big red cube at 2, 0, 1", "a cone above the cube")',
  'change them: "make the cube blue", "make the sphere metallic / glossy / matte / glowing / transparent", "move the sphere up by 2", "rotate the cone 45 degrees", "make the cube twice as big", "rename the cube to Box", "duplicate the cube", "delete the plane"',
  'lights: "add a sun", "a blue point light at 2, 2, 4", "a spot light above the cube"',
  'camera: "look from above", "view from the front", "camera at 0, -10, 3", "look at the cube", "zoom in"',
  'background: "make the background black"',
  'render: "render the scene", "render in cycles at 1920x1080 with 128 samples"',
  'export: "export as glb" (or gltf, obj, stl, fbx, blend)',
  'the scene: "what is in the scene?", "clear the scene"',
] as const;

export function capabilitiesText(): string {
  return `I can:\n${CAPABILITIES.map((line) => `- ${line}`).join("\n")}`;
}

const NUMBER = String.raw`-?\d+(?:\.\d+)?`;
const VECTOR_PATTERN = new RegExp(String.raw`\(?\[?\s*(${NUMBER})\s*(?:,\s*|\s+)(${NUMBER})\s*(?:,\s*|\s+)(${NUMBER})\s*\]?\)?`);
const AXIS_VALUE_PATTERN = /\b([xyz])\s*(?:=|:|\s)\s*(-?\d+(?:\.\d+)?)\b/g;

const VERB_STARTS = [
  "add",
  "create",
  "make",
  "put",
  "place",
  "insert",
  "render",
  "export",
  "save",
  "download",
  "delete",
  "remove",
  "erase",
  "move",
  "shift",
  "rotate",
  "turn",
  "spin",
  "tilt",
  "flip",
  "scale",
  "resize",
  "shrink",
  "grow",
  "enlarge",
  "rename",
  "call",
  "name",
  "color",
  "colour",
  "paint",
  "set",
  "change",
  "look",
  "view",
  "point",
  "aim",
  "clear",
  "reset",
  "duplicate",
  "copy",
  "clone",
  "give",
  "show",
  "take",
  "raise",
  "lower",
  "zoom",
  "describe",
  "list",
  "get rid",
  "please",
  "can you",
  "could you",
];
const SPLIT_PATTERN = new RegExp(
  String.raw`\s*[;!?]+\s*|\.(?=\s|$)\s*|,?\s+(?:and\s+)?then\s+|,?\s+after that,?\s+|,?\s+and also\s+|(?:,\s*(?:and\s+)?|\s+and\s+)(?=(?:${VERB_STARTS.join("|")})\b)`,
);

const LEADING_FILLER =
  /^(?:(?:and|also|then|now|next|finally|ok(?:ay)?|so|please|pls|can you|could you|would you|will you|i want you to|i'd like you to|i would like you to|let us|let's|lets|go ahead and|just)\b[\s,]*)+/;
const TRAILING_FILLER = /[\s,]*(?:please|thanks|thank you|for me|too|as well)\s*$/;

interface Clause {
  /** Lowercased text with quoted strings replaced by ⟦n⟧. */
  text: string;
  /** The same text with the user's case, aligned with `text`. */
  original: string;
}

interface PlanState {
  world: PlannerWorld;
  calls: PlannedToolCall[];
  notes: string[];
  quotes: string[];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000 + 0;
}

function roundVec(values: readonly number[]): Vec3 {
  return [round(values[0] ?? 0), round(values[1] ?? 0), round(values[2] ?? 0)];
}

function formatVec(values: readonly number[]): string {
  return `(${roundVec(values).join(", ")})`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function splitClauses(text: string): Clause[] {
  const clauses: Clause[] = [];
  const lower = text.toLowerCase();
  const aligned = lower.length === text.length ? text : lower;
  const pattern = new RegExp(SPLIT_PATTERN.source, "g");
  let start = 0;
  for (const match of lower.matchAll(pattern)) {
    if (match.index === undefined) continue;
    clauses.push({ text: lower.slice(start, match.index), original: aligned.slice(start, match.index) });
    start = match.index + match[0].length;
  }
  clauses.push({ text: lower.slice(start), original: aligned.slice(start) });
  const result: Clause[] = [];
  for (const clause of clauses) {
    let { text: lowerText, original } = clause;
    const lead = LEADING_FILLER.exec(lowerText);
    if (lead) {
      lowerText = lowerText.slice(lead[0].length);
      original = original.slice(lead[0].length);
    }
    const trail = TRAILING_FILLER.exec(lowerText);
    if (trail && trail.index > 0) {
      lowerText = lowerText.slice(0, trail.index);
      original = original.slice(0, trail.index);
    }
    lowerText = lowerText.replace(/[,.:\s]+$/, "");
    original = original.slice(0, lowerText.length);
    const leadingSpace = lowerText.length - lowerText.trimStart().length;
    lowerText = lowerText.slice(leadingSpace);
    original = original.slice(leadingSpace);
    if (lowerText.length > 0) result.push({ text: lowerText, original });
  }
  return result;
}

/** Replaces quoted strings with ⟦n⟧ so their words are not read as instructions. */
function extractQuotes(text: string): { text: string; quotes: string[] } {
  const quotes: string[] = [];
  const replaced = text.replace(/"([^"]*)"|“([^”]*)”|(?<![a-z])'([^']+)'(?![a-z])/gi, (_match, a, b, c) => {
    quotes.push(a ?? b ?? c ?? "");
    return `⟦${quotes.length - 1}⟧`;
  });
  return { text: replaced, quotes };
}

function restoreQuotes(text: string, quotes: readonly string[]): string {
  return text.replace(/⟦(\d+)⟧/g, (_match, index) => quotes[Number(index)] ?? "");
}

// ---------------------------------------------------------------------------------------------
// Reading values out of a clause.

function readVector(text: string): Vec3 | undefined {
  const match = VECTOR_PATTERN.exec(text);
  if (match) return [Number(match[1]), Number(match[2]), Number(match[3])];
  const axes = [...text.matchAll(AXIS_VALUE_PATTERN)];
  if (axes.length >= 2 || (axes.length === 1 && /\b[xyz]\s*=/.test(text))) {
    const vector: Vec3 = [0, 0, 0];
    for (const axis of axes) vector["xyz".indexOf(axis[1]!)] = Number(axis[2]);
    return vector;
  }
  return undefined;
}

const COLOR_SET = new Set(COLOR_NAMES);
const NON_COLOR_WORDS = new Set(["light", "dark"]);

/** The colors named in a text, in order, as the user wrote them (CSS names or #hex). */
function readColors(text: string): Array<{ color: string; index: number; length: number }> {
  const found: Array<{ color: string; index: number; length: number }> = [];
  for (const match of text.matchAll(/#(?:[0-9a-f]{6}|[0-9a-f]{3})\b/g)) {
    found.push({ color: match[0], index: match.index ?? 0, length: match[0].length });
  }
  const words = [...text.matchAll(/[a-z]+/g)];
  for (let index = 0; index < words.length; index++) {
    for (const span of [3, 2, 1]) {
      const group = words.slice(index, index + span);
      if (group.length < span) continue;
      const first = group[0]!;
      const last = group[group.length - 1]!;
      // Only adjacent words make one color ("light blue", not "light, blue").
      const between = text.slice(first.index ?? 0, (last.index ?? 0) + last[0].length);
      if (!/^[a-z]+(?: [a-z]+)*$/.test(between)) continue;
      const joined = group.map((word) => word[0]).join("");
      const single = span === 1 ? first[0] : undefined;
      if (single && (NON_COLOR_WORDS.has(single) || single.length < 3)) continue;
      if (COLOR_SET.has(joined) || (joined === "grey" && span === 1)) {
        found.push({ color: group.map((word) => word[0]).join(" "), index: first.index ?? 0, length: between.length });
        index += span - 1;
        break;
      }
    }
  }
  return found.sort((a, b) => a.index - b.index);
}

function readColor(text: string): string | undefined {
  const colors = readColors(text);
  return colors[colors.length - 1]?.color;
}

function readMaterial(text: string): MaterialWords | undefined {
  let material: MaterialWords | undefined;
  // "50% transparent", "80% opaque": an exact alpha.
  const percent = /(\d{1,3})\s*%\s*(transparent|see[- ]through|opaque|opacity)/.exec(text);
  if (percent) {
    const value = Math.min(100, Number(percent[1])) / 100;
    material = { alpha: round(/opaque|opacity/.test(percent[2]!) ? value : 1 - value), roughness: 0.05 };
  }
  for (const [pattern, words] of MATERIAL_WORDS) {
    if (pattern.test(text)) material = { ...words, ...material };
  }
  return material;
}

function readCount(word: string | undefined): number | undefined {
  if (word === undefined) return undefined;
  if (/^\d+$/.test(word)) return Number(word);
  return NUMBER_WORDS[word];
}

function readDegrees(text: string): number | undefined {
  const match = /(-?\d+(?:\.\d+)?)\s*(?:°|degrees?|degs?|deg)\b/.exec(text) ?? /(-?\d+(?:\.\d+)?)\s*°/.exec(text);
  if (match) return Number(match[1]);
  if (/\bquarter turn\b/.test(text)) return 90;
  if (/\bhalf (?:a )?turn\b|\bupside down\b|\baround\b(?! the [xyz]\b)(?!\s+[xyz]\b)|\bturn around\b/.test(text)) return 180;
  const bare = /\bby (-?\d+(?:\.\d+)?)\b/.exec(text) ?? /^\S+\s+\S+(?:\s+\S+)?\s+(-?\d+(?:\.\d+)?)$/.exec(text);
  return bare ? Number(bare[1]) : undefined;
}

function readAmount(text: string): number | undefined {
  const match =
    /\bby (-?\d+(?:\.\d+)?)\s*(?:units?|meters?|metres?|m)?\b(?!\s*,)/.exec(text) ??
    /(-?\d+(?:\.\d+)?)\s*(?:units?|meters?|metres?|m)\b/.exec(text) ??
    /\b(-?\d+(?:\.\d+)?)\s+(?:up|down|left|right|forwards?|backwards?|back|higher|lower)\b/.exec(text) ??
    /\b(?:up|down|left|right|forwards?|backwards?|back|higher|lower) (-?\d+(?:\.\d+)?)\b/.exec(text);
  if (match) return Number(match[1]);
  const word = /\b(one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:units?|meters?|metres?)\b/.exec(text);
  return word ? NUMBER_WORDS[word[1]!] : undefined;
}

const DIRECTIONS: ReadonlyArray<readonly [RegExp, Vec3]> = [
  [/\b(?:up|upward|upwards|higher|raise|lift)\b/, [0, 0, 1]],
  [/\b(?:down|downward|downwards|lower|drop)\b/, [0, 0, -1]],
  [/\bleft\b/, [-1, 0, 0]],
  [/\bright\b/, [1, 0, 0]],
  [/\b(?:forwards?|closer|towards? the camera|to the front)\b/, [0, -1, 0]],
  [/\b(?:backwards?|back|away|further|farther)\b/, [0, 1, 0]],
];

function readDirection(text: string): Vec3 | undefined {
  for (const [pattern, direction] of DIRECTIONS) if (pattern.test(text)) return direction;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Finding the objects a clause refers to.

const OBJECT_NOUN_PATTERN = OBJECT_NOUNS.map(([noun]) => escapeRegExp(noun)).join("|");
const LIGHT_NOUN_PATTERN = LIGHT_NOUNS.map(([noun]) => escapeRegExp(noun)).join("|");
const GENERIC_NOUNS = "objects|object|things|thing|shapes|shape|ones|one|meshes|mesh";
const DETERMINER = "(?:the|this|that|these|those|all(?: of)?(?: the)?|every|each|both(?: of)?(?: the)?|my|your|our)";
const NOUN_PHRASE_PATTERN = new RegExp(
  String.raw`\b(${DETERMINER})\s+((?:(?!(?:of|the|a|an|to|on|in|at|and|with|from|by|for)\b)[#\w-]+\s+){0,3}?)(${OBJECT_NOUN_PATTERN}|${LIGHT_NOUN_PATTERN}|${GENERIC_NOUNS})\b`,
  "g",
);
const PRONOUN_PATTERN = /\b(it|them|they|that one|this one|the new one|the last one|the other one|both|all of them|each of them)\b/g;

interface Reference {
  objects: WorldObject[];
  index: number;
  end: number;
  /** How the user named it, for messages. */
  phrase: string;
}

const OBJECT_NOUN_MAP = new Map<string, ObjectType>(OBJECT_NOUNS);
const LIGHT_NOUN_MAP = new Map<string, LightType>(LIGHT_NOUNS);

function isPlural(noun: string, determiner: string): boolean {
  if (/^(?:all|every|each|both|these|those)/.test(determiner)) return true;
  return /(?:s|tori)$/.test(noun) && !["sus", "torus", "glass"].some((ending) => noun.endsWith(ending)) && noun !== "floor";
}

function describeObjects(world: PlannerWorld): string {
  const objects = world.objects;
  if (objects.length === 0) return "The scene is empty.";
  return `The scene has: ${objects.map((object) => `${object.name} (${object.kind === "light" ? `${object.lightType} light` : object.primitive ? TYPE_LABELS[object.primitive] : "object"})`).join(", ")}.`;
}

function selectByAdjectives(candidates: WorldObject[], adjectives: string): WorldObject[] {
  let selected = candidates;
  const colors = readColors(adjectives);
  for (const { color } of colors) {
    const target = parseColorToSrgb(color) as Vec3 | undefined;
    if (!target) continue;
    const scored = selected
      .filter((object) => object.color)
      .map((object) => ({ object, distance: colorDistance(object.color!, target) }))
      .filter((entry) => entry.distance < 0.45)
      .sort((a, b) => a.distance - b.distance);
    selected = scored.map((entry) => entry.object);
  }
  const pick = (compare: (a: WorldObject, b: WorldObject) => number) => (selected.length > 0 ? [[...selected].sort(compare)[0]!] : []);
  const size = (object: WorldObject) => object.dimensions[0] * object.dimensions[1] * Math.max(object.dimensions[2], 0.01);
  if (/\b(?:big|bigger|biggest|large|larger|largest)\b/.test(adjectives)) selected = pick((a, b) => size(b) - size(a));
  else if (/\b(?:small|smaller|smallest|little|tiny)\b/.test(adjectives)) selected = pick((a, b) => size(a) - size(b));
  if (/\b(?:left|leftmost)\b/.test(adjectives)) selected = pick((a, b) => a.location[0] - b.location[0]);
  else if (/\b(?:right|rightmost)\b/.test(adjectives)) selected = pick((a, b) => b.location[0] - a.location[0]);
  else if (/\b(?:top|upper|highest)\b/.test(adjectives)) selected = pick((a, b) => b.location[2] - a.location[2]);
  else if (/\b(?:bottom|lower|lowest)\b/.test(adjectives)) selected = pick((a, b) => a.location[2] - b.location[2]);
  else if (/\b(?:first|oldest|original)\b/.test(adjectives)) selected = pick((a, b) => a.order - b.order);
  else if (/\b(?:last|new|newest|latest)\b/.test(adjectives)) selected = pick((a, b) => b.order - a.order);
  return selected;
}

function candidatesForNoun(world: PlannerWorld, noun: string): WorldObject[] {
  const objectType = OBJECT_NOUN_MAP.get(noun);
  if (objectType) return world.objects.filter((object) => object.kind === "object" && object.primitive === objectType);
  const lightType = LIGHT_NOUN_MAP.get(noun);
  if (lightType) {
    const generic = /^(?:lights?|lamps?)$/.test(noun);
    return world.objects.filter((object) => object.kind === "light" && (generic || object.lightType === lightType));
  }
  return world.meshes();
}

/**
 * Finds every reference to objects in `text` (noun phrases, names, pronouns), in order.
 * Throws SceneNeeded when one can only be resolved by looking at the scene.
 */
function findReferences(text: string, state: PlanState): Reference[] {
  const { world } = state;
  const references: Reference[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (start: number, end: number) => taken.some(([a, b]) => start < b && end > a);
  const add = (reference: Reference) => {
    if (overlaps(reference.index, reference.end)) return;
    // Without this turn's scene, only objects this message adds are known for sure.
    if (!world.authoritative && reference.objects.some((object) => !object.planned)) throw new SceneNeeded();
    taken.push([reference.index, reference.end]);
    references.push(reference);
  };
  const unresolved = (phrase: string): never => {
    if (!world.authoritative) throw new SceneNeeded();
    throw new PlanRefusal(`There is no ${phrase.replace(/^(?:the|this|that|my|your|our) /, "")} in the scene. ${describeObjects(world)}`);
  };

  // Quoted names: "move 'Big Box' up".
  for (const match of text.matchAll(/⟦(\d+)⟧/g)) {
    const name = state.quotes[Number(match[1])] ?? "";
    const object = world.find(name);
    const before = text.slice(0, match.index);
    if (/\b(?:named|called|to|as|text|saying|says|reading|word)\s*$/.test(before)) continue;
    if (object) add({ objects: [object], index: match.index ?? 0, end: (match.index ?? 0) + match[0].length, phrase: name });
    else if (!world.authoritative) throw new SceneNeeded();
    else throw new PlanRefusal(`There is no object named "${name}" in the scene. ${describeObjects(world)}`);
  }

  for (const match of text.matchAll(NOUN_PHRASE_PATTERN)) {
    const [whole, determiner = "", adjectives = "", noun = ""] = match;
    const index = match.index ?? 0;
    // "the text" right before a quote is the content of a new text object, not a reference.
    if (noun === "one" && !/\b(?:new|last|other|first|big|small|left|right|top|bottom)\b/.test(adjectives) && adjectives.trim() === "")
      continue;
    if (/^(?:text|word|label|title)$/.test(noun) && /^\s*⟦\d+⟧/.test(text.slice(index + whole.length))) continue;
    if (noun === "floor" || noun === "ground") {
      // "the floor" is whichever plane lies lowest and widest.
      const floors = world.meshes().filter((object) => object.primitive === "plane" || object.name.toLowerCase().startsWith("floor"));
      if (floors.length === 0) unresolved("floor");
      add({ objects: [floors.sort((a, b) => b.dimensions[0] - a.dimensions[0])[0]!], index, end: index + whole.length, phrase: whole });
      continue;
    }
    // "the box" where an object is named Box means that object.
    const named = adjectives.trim() === "" ? world.find(noun) : undefined;
    if (named && !isPlural(noun, determiner)) {
      add({ objects: [named], index, end: index + whole.length, phrase: whole });
      continue;
    }
    let candidates = candidatesForNoun(world, noun);
    if (/^(?:ones?|objects?|things?|shapes?)$/.test(noun) && candidates.length === 0 && !world.authoritative) throw new SceneNeeded();
    candidates = selectByAdjectives(candidates, adjectives);
    if (candidates.length === 0) {
      // The planner only knows what this message added; the scene may hold the rest.
      unresolved(`${adjectives}${noun}`.trim());
    }
    const plural = isPlural(noun, determiner);
    if (plural && !world.authoritative) throw new SceneNeeded();
    if (!world.authoritative) candidates = candidates.filter((object) => object.planned);
    if (candidates.length === 0) throw new SceneNeeded();
    add({
      objects: plural ? candidates : [[...candidates].sort((a, b) => b.order - a.order)[0]!],
      index,
      end: index + whole.length,
      phrase: whole,
    });
  }

  // Names as the scene shows them: "move Cube.001 up", "make Box red".
  const names = world.objects.map((object) => object.name).sort((a, b) => b.length - a.length);
  for (const name of names) {
    const pattern = new RegExp(String.raw`(?<![\w.⟦])${escapeRegExp(name.toLowerCase())}(?![\w⟧]|\.\d)`, "g");
    for (const match of text.matchAll(pattern)) {
      const index = match.index ?? 0;
      // "named Box" gives a new object its name; it does not refer to Box.
      if (/\b(?:named|called)\s+$/.test(text.slice(0, index))) continue;
      const object = world.find(name);
      if (object) add({ objects: [object], index, end: index + match[0].length, phrase: name });
    }
  }

  for (const match of text.matchAll(/\b(?:everything|all (?:the )?objects|every object|all of them|all)\b(?!\s+(?:the\s+)?[a-z]+s\b)/g)) {
    const index = match.index ?? 0;
    if (match[0] === "all of them" && world.focus.length > 0) continue;
    if (match[0] === "all" && !/^\s*(?:$|[,.]|red|green|blue|\w+$)/.test(text.slice(index + 3))) continue;
    if (!world.authoritative) throw new SceneNeeded();
    const objects = world.meshes();
    if (objects.length === 0) throw new PlanRefusal("The scene has no objects.");
    add({ objects, index, end: index + match[0].length, phrase: match[0] });
  }

  for (const match of text.matchAll(PRONOUN_PATTERN)) {
    const index = match.index ?? 0;
    const word = match[1] ?? "";
    if (word === "both" && /^\s+(?:of\s+)?(?:the|these|those)\b/.test(text.slice(index + word.length))) continue;
    let objects = world.focus.map((name) => world.find(name)).filter((object): object is WorldObject => object !== undefined);
    if (word === "the new one" || word === "the last one") objects = [...world.objects].sort((a, b) => b.order - a.order).slice(0, 1);
    if (objects.length === 0) {
      if (!world.authoritative) throw new SceneNeeded();
      throw new PlanRefusal(`I do not know what "${word}" refers to here; name the object (e.g. "the cube"). ${describeObjects(world)}`);
    }
    if ((word === "it" || word.endsWith("one")) && objects.length > 1) objects = objects.slice(-1);
    add({ objects, index, end: index + word.length, phrase: word });
  }

  return references.sort((a, b) => a.index - b.index);
}

function firstReference(text: string, state: PlanState, what: string): Reference {
  const reference = findReferences(text, state)[0];
  // A bare word may be an object's name ("move Box up"): only the scene can tell.
  if (!reference && !state.world.authoritative) throw new SceneNeeded();
  if (!reference) throw new PlanRefusal(`I could not tell which object to ${what} in "${text}". ${describeObjects(state.world)}`);
  return reference;
}

// ---------------------------------------------------------------------------------------------
// Placement.

type Relation = "on" | "above" | "below" | "left" | "right" | "front" | "behind" | "beside";

const RELATION_PATTERN =
  /\b(on top of|on|onto|above|over|below|under|underneath|beneath|to the left of|left of|on the left of|to the right of|right of|on the right of|in front of|behind|next to|beside|near|by)\s+$/;

const RELATION_LABELS: Record<Relation, string> = {
  on: "onto",
  above: "above",
  below: "below",
  left: "to the left of",
  right: "to the right of",
  front: "in front of",
  behind: "behind",
  beside: "next to",
};

function relationOf(words: string): Relation {
  if (/on top of|^on$|onto/.test(words)) return "on";
  if (/above|over/.test(words)) return "above";
  if (/below|under|beneath/.test(words)) return "below";
  if (/left/.test(words)) return "left";
  if (/right/.test(words)) return "right";
  if (/front/.test(words)) return "front";
  if (/behind/.test(words)) return "behind";
  return "beside";
}

/** Where an object of `size` goes so that it sits in `relation` to `anchor`, in meters. */
function placeRelative(anchor: WorldObject, relation: Relation, size: Vec3, gap?: number): Vec3 {
  const [x, y, z] = anchor.location;
  const half = anchor.dimensions.map((value) => value / 2) as Vec3;
  const own = size.map((value) => value / 2) as Vec3;
  switch (relation) {
    case "on":
      return [x, y, z + half[2] + own[2] + (gap ?? 0)];
    case "above":
      return [x, y, z + half[2] + own[2] + (gap ?? 0.5)];
    case "below":
      return [x, y, z - half[2] - own[2] - (gap ?? 0.5)];
    case "left":
      return [x - half[0] - own[0] - (gap ?? 1), y, z];
    case "front":
      return [x, y - half[1] - own[1] - (gap ?? 1), z];
    case "behind":
      return [x, y + half[1] + own[1] + (gap ?? 1), z];
    default:
      return [x + half[0] + own[0] + (gap ?? 1), y, z];
  }
}

/** A relation to an object in the clause ("above the cube"), with the object. */
function readRelation(
  text: string,
  state: PlanState,
  exclude?: WorldObject[],
): { relation: Relation; anchor: WorldObject; gap?: number } | undefined {
  for (const reference of findReferences(text, state)) {
    const before = text.slice(0, reference.index);
    const match = RELATION_PATTERN.exec(before);
    if (!match) continue;
    const anchor = reference.objects.find((object) => !exclude?.includes(object));
    if (!anchor) continue;
    const distance = /(\d+(?:\.\d+)?)\s*(?:units?|meters?|metres?|m)?\s+$/.exec(before.slice(0, match.index));
    const relation = relationOf(match[1]!);
    return { relation, anchor, ...(distance ? { gap: Number(distance[1]) } : {}) };
  }
  return undefined;
}

/** Where a new group of `count` objects of `size` goes when no position was given. */
function defaultAnchor(world: PlannerWorld, groupWidth: number, size: Vec3): Vec3 {
  const objects = world.placementObjects();
  if (objects.length === 0) return [0, 0, 0];
  const right = Math.max(...objects.map((object) => object.location[0] + object.dimensions[0] / 2));
  const bottom = Math.min(...objects.map((object) => object.location[2] - object.dimensions[2] / 2));
  return [right + 1 + groupWidth / 2, 0, Math.max(bottom + size[2] / 2, 0)];
}

function floorHeight(world: PlannerWorld): number {
  const objects = world.placementObjects();
  if (objects.length === 0) return -1;
  return Math.min(...objects.map((object) => object.location[2] - object.dimensions[2] / 2));
}

// ---------------------------------------------------------------------------------------------
// Handlers, one per kind of instruction. Each returns true when it read the clause.

type Handler = (clause: Clause, state: PlanState) => boolean;

function push(state: PlanState, name: ToolName, args: Record<string, unknown>, summary: string): void {
  state.calls.push({ name, arguments: args, summary });
}

const handleHelp: Handler = (clause, state) => {
  if (
    !/^(?:help|\?|what can you do|what do you do|what can i do|what are you|how does (?:this|it) work|what (?:commands|tools)|commands|options)\b/.test(
      clause.text,
    )
  )
    return false;
  state.notes.push(capabilitiesText());
  return true;
};

const handleGreeting: Handler = (clause, state) => {
  if (
    !/^(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|thanks|thank you|cheers|ok|okay|great|nice|cool|awesome|perfect)(?: there| you| so much| a lot)?$/.test(
      clause.text,
    )
  )
    return false;
  state.notes.push(
    /thank|cheers/.test(clause.text)
      ? "You're welcome."
      : 'Hello! Tell me what to build, e.g. "add a red cube and render the scene", or ask "what can you do?".',
  );
  return true;
};

const handleDescribe: Handler = (clause, state) => {
  if (
    !/^(?:what(?:'s| is| are)? (?:in|on) (?:the|my) scene|what objects|what(?:'s| is) there|describe|list|show (?:me )?(?:the )?(?:objects|scene contents)|tell me about the scene|what does the scene (?:have|contain)|which objects|how many objects|get (?:the )?scene|inspect)/.test(
      clause.text,
    )
  )
    return false;
  if (!state.world.authoritative) throw new SceneNeeded();
  state.notes.push(describeScene(state.world));
  return true;
};

function hexOf(rgb: Vec3 | undefined): string {
  if (!rgb) return "";
  const hex = `#${rgb
    .map((channel) =>
      Math.round(channel * 255)
        .toString(16)
        .padStart(2, "0"),
    )
    .join("")}`;
  return hex;
}

function describeScene(world: PlannerWorld): string {
  const meshes = world.meshes();
  const lights = world.objects.filter((object) => object.kind === "light");
  const lines: string[] = [];
  lines.push(meshes.length === 0 ? "The scene has no objects." : `The scene has ${meshes.length} object${meshes.length === 1 ? "" : "s"}:`);
  for (const object of meshes) {
    const color = object.color ? `, color ${hexOf(object.color)}` : "";
    lines.push(`- ${object.name}: ${object.primitive ? TYPE_LABELS[object.primitive] : "object"} at ${formatVec(object.location)}${color}`);
  }
  if (lights.length > 0)
    lines.push(`Lights: ${lights.map((light) => `${light.name} (${light.lightType}) at ${formatVec(light.location)}`).join(", ")}.`);
  if (world.camera?.location)
    lines.push(`Camera at ${formatVec(world.camera.location)}${world.camera.lens ? `, lens ${round(world.camera.lens)} mm` : ""}.`);
  return lines.join("\n");
}

const handleClear: Handler = (clause, state) => {
  const match =
    /^(?:clear|empty|wipe|reset|start over|start again|start fresh|start from scratch|new scene|delete everything|remove everything|delete all(?: the)? objects|remove all(?: the)? objects|delete all$|remove all$|get rid of everything)(?:\b|$)/.exec(
      clause.text,
    );
  if (!match) return false;
  const rest = clause.text.slice(match[0].length);
  if (
    /^(?:clear|empty|wipe|reset)$/.test(match[0]) &&
    !/^\s*(?:the |my |this )?(?:scene|everything|all|it|world|project)?\s*(?:from scratch)?$/.test(rest)
  )
    return false;
  const resetAll = /\b(?:reset|start|scratch|new scene)\b/.test(clause.text);
  push(
    state,
    "clear_scene",
    resetAll ? { resetAll: true } : {},
    resetAll ? "Reset the scene to a new project's." : "Removed every object.",
  );
  for (const object of [...state.world.objects]) if (resetAll || object.kind === "object") state.world.remove(object.name);
  state.world.focus = [];
  return true;
};

const handleRender: Handler = (clause, state) => {
  const text = clause.text;
  if (
    !/\b(?:render(?:ing)?|take an? (?:picture|photo|image|snapshot|shot)|snapshot|let me see|show me (?:the scene|it|what it looks like|a picture|an image|the result)|show (?:the )?(?:scene|result)|picture of|image of)\b/.test(
      text,
    ) ||
    /\b(?:rename|delete|remove)\b/.test(text)
  )
    return false;
  // "render the scene from above": move the camera first, then render.
  const view = /\bfrom (?:the )?(?:above|below|top|bottom|front|back|behind|left|right|side|an angle|the side|overhead)\b/.exec(text);
  if (view) handleCamera({ text: `look ${view[0]}`, original: `look ${view[0]}` }, state);
  const args: Record<string, unknown> = {};
  const engine = /\b(eevee|cycles|workbench)\b/.exec(text)?.[1] as RenderEngine | undefined;
  if (engine) args.engine = engine;
  else if (/\b(?:path[- ]?traced|photo[- ]?real(?:istic)?|realistic|ray[- ]?traced)\b/.test(text)) args.engine = "cycles";
  else if (/\b(?:quick|draft|preview|flat|solid|fast)\b/.test(text)) args.engine = "workbench";
  const size = /(\d{2,5})\s*(?:x|×|\*|by)\s*(\d{2,5})\b/.exec(text);
  if (size) {
    args.width = Number(size[1]);
    args.height = Number(size[2]);
  } else {
    for (const [pattern, width, height] of RESOLUTION_WORDS) {
      if (pattern.test(text)) {
        args.width = width;
        args.height = height;
        break;
      }
    }
  }
  const samples = /(\d+)\s*samples?\b|\bsamples?\s*(?:of\s*|=\s*|:\s*)?(\d+)\b/.exec(text);
  if (samples) args.samples = Number(samples[1] ?? samples[2]);
  else if (/\b(?:high[- ]quality|best quality|hq|final)\b/.test(text)) {
    args.samples = 256;
    args.engine ??= "cycles";
  } else if (/\b(?:low[- ]quality|quick|draft|fast)\b/.test(text) && args.engine !== "workbench") args.samples = 8;
  for (const edge of ["width", "height"] as const) {
    const value = args[edge];
    if (typeof value === "number" && (value < 16 || value > MAX_RESOLUTION))
      throw new PlanRefusal(`A render's ${edge} must be between 16 and ${MAX_RESOLUTION} pixels (asked for ${value}).`);
  }
  if (typeof args.samples === "number" && (args.samples < 1 || args.samples > MAX_SAMPLES))
    throw new PlanRefusal(`Samples must be between 1 and ${MAX_SAMPLES} (asked for ${args.samples}).`);
  const details = [
    args.engine ? `with ${args.engine}` : undefined,
    args.width ? `at ${args.width}×${args.height}` : undefined,
    args.samples ? `with ${args.samples} samples` : undefined,
  ].filter(Boolean);
  push(state, "render_frame", args, `Rendered the scene${details.length > 0 ? ` ${details.join(" ")}` : ""}.`);
  return true;
};

const handleExport: Handler = (clause, state) => {
  const text = clause.text;
  if (
    !/^(?:export|download|save|give me|i want|i need|get|convert)\b|\bexport\b|\bas an? (?:glb|gltf|obj|stl|fbx|blend)\b|\.(?:glb|gltf|obj|stl|fbx|blend)\b/.test(
      text,
    )
  )
    return false;
  if (!/\b(?:export|download|save|glb|gltf|obj|stl|fbx|blend|blender file|file|model)\b/.test(text)) return false;
  if (/^(?:give me|i want|i need|get)\b/.test(text) && !/\b(?:glb|gltf|obj|stl|fbx|blend|file|export|download)\b/.test(text)) return false;
  const formats: ExportFormat[] = [];
  for (const match of text.matchAll(/\b(glb|gltf|gl ?tf|obj|wavefront|stl|fbx|blend|blender(?: file)?)\b/g)) {
    const word = match[1]!;
    const format: ExportFormat =
      word.startsWith("gl t") || word === "gl tf"
        ? "gltf"
        : word === "wavefront"
          ? "obj"
          : word.startsWith("blend")
            ? "blend"
            : (word as ExportFormat);
    if ((EXPORT_FORMATS as readonly string[]).includes(format) && !formats.includes(format)) formats.push(format);
  }
  if (formats.length === 0) {
    const unknown = /\b(?:as|to|in|into)\s+(?:an?\s+)?\.?([a-z0-9]{2,5})\b(?:\s+(?:file|format))?$/.exec(text);
    if (unknown && !/^(?:file|model|scene|format|the|it)$/.test(unknown[1]!))
      throw new PlanRefusal(`I cannot export as ${unknown[1]}: the formats are ${EXPORT_FORMATS.join(", ")}.`);
    formats.push(/^save\b/.test(text) && !/\bmodel\b/.test(text) ? "blend" : "glb");
  }
  for (const format of formats) {
    if (format === "glb") push(state, "export_glb", {}, "Exported the scene as GLB.");
    else push(state, "export_scene", { format }, `Exported the scene as ${format.toUpperCase()}.`);
  }
  return true;
};

const handleWorld: Handler = (clause, state) => {
  const text = clause.text;
  if (!/\b(?:background|backdrop|world|environment|the sky)\b/.test(text)) return false;
  const args: Record<string, unknown> = {};
  const color = readColor(text.replace(/\b(?:background|backdrop|world|environment)\b|\bthe sky\b/g, " "));
  if (color) args.color = color;
  else if (/\bdark(?:er)?\b/.test(text)) args.color = "#1a1a1a";
  else if (/\blight(?:er)?\b|\bbright(?:er)?\b/.test(text)) args.color = "#e6e6e6";
  const strength =
    /\b(?:strength|brightness|intensity)\s*(?:of\s*|to\s*|=\s*)?(\d+(?:\.\d+)?)/.exec(text) ??
    /(\d+(?:\.\d+)?)\s*(?:strength|brightness)/.exec(text);
  if (strength) args.strength = Number(strength[1]);
  if (Object.keys(args).length === 0)
    throw new PlanRefusal(`What should the background be? Give a color, e.g. "make the background black" or "background #202030".`);
  push(
    state,
    "set_world",
    args,
    `Set the background${args.color ? ` to ${args.color}` : ""}${args.strength !== undefined ? ` with strength ${args.strength}` : ""}.`,
  );
  return true;
};

const handleCamera: Handler = (clause, state) => {
  const text = clause.text;
  if (
    !/\bcamera\b|^(?:look|view|see|show)(?:ing)?\s+(?:it\s+|the scene\s+|everything\s+)?(?:from|at|down)\b|\b(?:top|front|side|back|bottom|isometric) view\b|^zoom\b|^(?:focus on|frame)\b|\bpoint of view\b/.test(
      text,
    )
  )
    return false;
  const { world } = state;
  const args: Record<string, unknown> = {};
  const parts: string[] = [];
  const aimWords =
    /\b(?:look(?:ing|s)? at|aim(?:ed|ing)?(?: it| the camera)? at|point(?:ed|ing)?(?: it| the camera)? at|facing|towards?|focus(?:ed|ing)? on|zoom(?:ed)?(?: in)? on)\b(.*)$/;
  const explicit = readVector(text.replace(aimWords, ""));
  const lookAt = aimWords.exec(text);
  let target: Vec3 | undefined;
  if (lookAt) {
    const vector = readVector(lookAt[1]!);
    if (vector) target = vector;
    else if (!/^\s*(?:it|the scene|everything|all|the origin|the center|the centre)?\s*$/.test(lookAt[1]!)) {
      const reference = findReferences(lookAt[1]!, state)[0];
      if (reference) {
        const center: Vec3 = [0, 0, 0];
        for (const object of reference.objects)
          for (let axis = 0; axis < 3; axis++) center[axis]! += object.location[axis]! / reference.objects.length;
        target = center;
        parts.push(`aimed at ${reference.objects.map((object) => object.name).join(", ")}`);
      } else if (!world.authoritative) throw new SceneNeeded();
      else throw new PlanRefusal(`I could not tell what to look at in "${lookAt[1]!.trim()}". ${describeObjects(world)}`);
    } else target = world.bounds().center;
  }
  const view = CAMERA_VIEWS.find(([pattern]) => pattern.test(text.replace(/\bcamera\b/g, "")));
  if (explicit && /\b(?:at|to|location|position)\b/.test(text)) {
    args.location = explicit;
    parts.unshift(`moved the camera to ${formatVec(explicit)}`);
  } else if (view) {
    const bounds = world.bounds();
    const aim = target ?? bounds.center;
    const distance = Math.max(12, bounds.radius * 4);
    const direction = view[1];
    const length = Math.hypot(...direction);
    args.location = roundVec(direction.map((value, axis) => aim[axis]! + (value / length) * distance));
    target ??= aim;
    parts.unshift(`looking ${view[2]}`);
  }
  if (
    /\bzoom(?:ed)? in\b|\bcloser\b|\btighter\b/.test(text) ||
    /\bzoom(?:ed)? out\b|\bfurther\b|\bfarther\b|\bwider\b(?! angle)/.test(text)
  ) {
    const zoomIn = /\bzoom(?:ed)? in\b|\bcloser\b|\btighter\b/.test(text);
    if (!world.authoritative && !world.cameraPlanned) throw new SceneNeeded();
    const lens = world.camera?.lens ?? 50;
    args.lens = round(Math.min(5000, Math.max(1, zoomIn ? lens * 1.5 : lens / 1.5)));
    parts.push(`zoomed ${zoomIn ? "in" : "out"} to a ${args.lens} mm lens`);
  }
  const lens = /(\d+(?:\.\d+)?)\s*mm\b|\blens\s*(?:of\s*|to\s*)?(\d+(?:\.\d+)?)/.exec(text);
  if (lens) {
    args.lens = Number(lens[1] ?? lens[2]);
    parts.push(`a ${args.lens} mm lens`);
  } else if (/\bwide[- ]angle\b/.test(text)) {
    args.lens = 24;
    parts.push("a wide-angle 24 mm lens");
  } else if (/\btelephoto\b/.test(text)) {
    args.lens = 85;
    parts.push("an 85 mm lens");
  }
  if (target) args.target = roundVec(target);
  if (Object.keys(args).length === 0)
    throw new PlanRefusal(`Where should the camera go? e.g. "look from above", "camera at 0, -10, 3", "look at the cube", "zoom in".`);
  if (args.target && !parts.some((part) => part.startsWith("aimed"))) parts.push(`aimed at ${formatVec(args.target as Vec3)}`);
  push(state, "set_camera", args, `Set the camera: ${parts.join(", ")}.`);
  if (args.location) world.camera = { location: args.location as Vec3, lens: (args.lens as number | undefined) ?? world.camera?.lens };
  world.cameraPlanned = true;
  return true;
};

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

const handleAddLight: Handler = (clause, state) => {
  const text = clause.text;
  const match = LIGHT_AT_START.exec(text);
  if (!match) return false;
  const adjectives = match[2] ?? "";
  if (/\b(?:the|this|that|my)\b/.test(adjectives) || /^(?:the|this|that|my)\b/.test(match[1] ?? "")) return false;
  // "light blue sphere" is a sphere: a light noun directly followed by an object noun is a color.
  const after = text.slice(match[0].length);
  if (new RegExp(String.raw`^\s*(?:[a-z]+\s+){0,1}(?:${OBJECT_NOUN_PATTERN})\b`).test(after) && match[3] === "light") return false;
  const type = LIGHT_NOUN_MAP.get(match[3]!) ?? "point";
  const count = match[1] === "some" ? 1 : (readCount(match[1]) ?? 1);
  if (count > 10) throw new PlanRefusal("At most 10 lights at a time.");
  const color = readColor(`${adjectives} ${after}`);
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
      location = placeRelative(relation.anchor, relation.relation, [0, 0, 0], offset);
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

const handleDelete: Handler = (clause, state) => {
  const match = /^(?:delete|remove|erase|get rid of|destroy|take away|take out|drop)\b/.exec(clause.text);
  if (!match) return false;
  const rest = clause.text.slice(match[0].length);
  if (/^\s*(?:everything|all|all objects|all the objects|every object)\s*$/.test(rest))
    return handleClear({ ...clause, text: "delete everything" }, state);
  const references = findReferences(rest, state);
  if (references.length === 0 && !state.world.authoritative) throw new SceneNeeded();
  if (references.length === 0) throw new PlanRefusal(`What should I delete? ${describeObjects(state.world)}`);
  const deleted = new Set<string>();
  for (const reference of references) {
    for (const object of reference.objects) {
      if (deleted.has(object.name)) continue;
      deleted.add(object.name);
      push(state, "delete_object", { name: object.name }, `Deleted ${object.name}.`);
      state.world.remove(object.name);
    }
  }
  state.world.focus = [];
  return true;
};

function readNewName(clause: Clause, state: PlanState, after: number): string | undefined {
  const text = clause.text.slice(after);
  const quoted = /^\s*(?:to|as)?\s*⟦(\d+)⟧/.exec(text);
  if (quoted) return state.quotes[Number(quoted[1])];
  const plain = /^\s*(?:to|as)?\s*(?:the name\s+)?([^\s,]+(?:\s+[^\s,]+){0,2})\s*$/.exec(clause.original.slice(after));
  return plain?.[1]?.trim();
}

function validateName(name: string | undefined, world: PlannerWorld, current?: string): string {
  if (!name || name.length > 63 || /\p{Cc}/u.test(name)) throw new PlanRefusal(`A name must be 1 to 63 characters (got "${name ?? ""}").`);
  const existing = world.find(name);
  if (existing && existing.name !== current) throw new PlanRefusal(`There is already an object named ${existing.name}; pick another name.`);
  return name;
}

const handleRename: Handler = (clause, state) => {
  const match = /^(?:rename|call|name|change the name of|retitle)\s+/.exec(clause.text);
  if (!match) return false;
  const rest = clause.text.slice(match[0].length);
  const reference = firstReference(rest, state, "rename");
  const start = match[0].length + reference.end;
  const name = validateName(readNewName(clause, state, start), state.world, reference.objects[0]!.name);
  const object = reference.objects[reference.objects.length - 1]!;
  push(state, "update_object", { name: object.name, newName: name }, `Renamed ${object.name} to ${name}.`);
  state.world.focus = state.world.focus.map((entry) => (entry === object.name ? name : entry));
  object.name = name;
  state.world.focus = [name];
  return true;
};

const handleDuplicate: Handler = (clause, state) => {
  const match =
    /^(?:duplicate|copy|clone|make (?:a |an? )?cop(?:y|ies) of|make (\w+) cop(?:y|ies) of|add (?:a |an? )?cop(?:y|ies) of)\s+/.exec(
      clause.text,
    );
  if (!match) return false;
  const rest = clause.text.slice(match[0].length);
  const reference = firstReference(rest, state, "duplicate");
  const after = rest.slice(reference.end);
  const count =
    readCount(match[1]) ??
    (/\btwice\b/.test(after) ? 2 : /\bthrice\b/.test(after) ? 3 : undefined) ??
    readCount(/\b(\w+) times\b/.exec(after)?.[1]) ??
    readCount(/\b(\w+) cop(?:y|ies)\b/.exec(after)?.[1]) ??
    1;
  if (count > MAX_OBJECTS_PER_INSTRUCTION) throw new PlanRefusal(`At most ${MAX_OBJECTS_PER_INSTRUCTION} copies at a time.`);
  const names: string[] = [];
  for (const original of reference.objects) {
    if (original.kind === "light") throw new PlanRefusal(`${original.name} is a light; add another light instead of duplicating it.`);
    const direction: Vec3 = /\bleft\b/.test(after)
      ? [-1, 0, 0]
      : /\b(?:above|on top|up)\b/.test(after)
        ? [0, 0, 1]
        : /\b(?:below|under|down)\b/.test(after)
          ? [0, 0, -1]
          : /\b(?:behind|back)\b/.test(after)
            ? [0, 1, 0]
            : /\bin front\b/.test(after)
              ? [0, -1, 0]
              : [1, 0, 0];
    const axis = direction.findIndex((value) => value !== 0);
    const step = (original.dimensions[axis] ?? 2) + (/\b(?:above|on top|below|under|up|down)\b/.test(after) ? 0 : 1);
    for (let index = 1; index <= count; index++) {
      const name = state.world.uniqueName(original.name.replace(/\.\d{3}$/, ""));
      const offset = roundVec(direction.map((value) => value * step * index));
      push(
        state,
        "duplicate_object",
        { name: original.name, newName: name, offset },
        `Duplicated ${original.name} as ${name}, offset by ${formatVec(offset)}.`,
      );
      state.world.addObject({ ...original, name, location: original.location.map((value, i) => value + offset[i]!) as Vec3 });
      names.push(name);
    }
  }
  state.world.focus = names;
  return true;
};

const handleMove: Handler = (clause, state) => {
  const match =
    /^(?:move|shift|put|place|position|raise|lift|lower|drop|slide|push|pull|bring|center|centre|set the (?:location|position) of|relocate)\s+/.exec(
      clause.text,
    );
  if (!match) return false;
  const verb = match[0].trim();
  const rest = clause.text.slice(match[0].length);
  // "put a cube on the floor" adds; "put the cube on the floor" moves.
  if (
    /^(?:put|place|position|drop)$/.test(verb) &&
    /^(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|\d+|some|several|few)\b/.test(rest)
  )
    return false;
  const reference = firstReference(rest, state, "move");
  const after = rest.slice(reference.end);
  const { world } = state;
  const moved: string[] = [];
  for (const object of reference.objects) {
    const args: Record<string, unknown> = { name: object.name };
    let summary: string;
    const vector = readVector(after);
    const relation = readRelation(after, state, reference.objects);
    if (/^\s*(?:to|at)\s+(?:the\s+)?(?:origin|center|centre|middle)\b/.test(after) || (/^(?:center|centre)$/.test(verb) && !vector)) {
      args.location = [0, 0, 0];
      summary = `Moved ${object.name} to the origin.`;
    } else if (vector && !/\bby\b/.test(after)) {
      args.location = vector;
      summary = `Moved ${object.name} to ${formatVec(vector)}.`;
    } else if (vector) {
      args.translate = vector;
      summary = `Moved ${object.name} by ${formatVec(vector)}.`;
    } else if (relation) {
      const location = roundVec(placeRelative(relation.anchor, relation.relation, object.dimensions, relation.gap));
      args.location = location;
      summary = `Moved ${object.name} ${RELATION_LABELS[relation.relation]} ${relation.anchor.name}, to ${formatVec(location)}.`;
    } else {
      const direction = readDirection(`${verb} ${after}`);
      if (!direction)
        throw new PlanRefusal(
          `Where should ${object.name} go? e.g. "move the ${object.primitive ?? "object"} up by 2" or "move it to 1, 2, 0".`,
        );
      const amount = readAmount(after) ?? 1;
      const translate = roundVec(direction.map((value) => value * amount));
      args.translate = translate;
      summary = `Moved ${object.name} by ${formatVec(translate)}.`;
    }
    push(state, "update_object", args, summary);
    if (args.location) object.location = [...(args.location as Vec3)];
    if (args.translate) object.location = object.location.map((value, axis) => value + (args.translate as Vec3)[axis]!) as Vec3;
    moved.push(object.name);
  }
  world.focus = moved;
  return true;
};

const handleRotate: Handler = (clause, state) => {
  const match = /^(?:rotate|turn|spin|tilt|flip|twist|set the rotation of)\s+/.exec(clause.text);
  if (!match) return false;
  const verb = match[0].trim();
  const rest = clause.text.slice(match[0].length);
  const degreesGiven = readDegrees(rest);
  if (verb === "turn" && degreesGiven === undefined && !/\b(?:around|upside down|sideways|clockwise|counter-?clockwise)\b/.test(rest))
    return false;
  const reference = firstReference(rest, state, "rotate");
  const after = rest.slice(reference.end);
  const axisMatch = /\b(?:around|about|on|along|in|over)\s+(?:the\s+)?([xyz])(?:[- ]?axis)?\b|\b([xyz])[- ]?axis\b/.exec(after);
  let axis = axisMatch
    ? "xyz".indexOf((axisMatch[1] ?? axisMatch[2])!)
    : /^(?:tilt|flip)$/.test(verb) || /\bupside down\b/.test(after)
      ? 0
      : 2;
  if (/\bsideways\b/.test(after)) axis = 1;
  let degrees = readDegrees(after) ?? (verb === "flip" ? 180 : verb === "tilt" ? 30 : /\bsideways\b/.test(after) ? 90 : undefined);
  const absolute = /^set the rotation of$/.test(verb) || /\bto (-?\d+(?:\.\d+)?)\s*(?:°|degrees?)?/.test(after);
  const vector = readVector(after);
  if (degrees === undefined && !vector)
    throw new PlanRefusal(`How far should I rotate it? e.g. "rotate the cone 45 degrees" or "rotate the cube 90 degrees around x".`);
  if (degrees !== undefined && /\bclockwise\b/.test(after) && !/counter|anti/.test(after)) degrees = -Math.abs(degrees);
  const rotated: string[] = [];
  for (const object of reference.objects) {
    let rotation: Vec3;
    if (vector && (absolute || !degrees)) rotation = vector;
    else {
      rotation = absolute ? [0, 0, 0] : [...object.rotation];
      rotation[axis] = (absolute ? 0 : rotation[axis]!) + (degrees ?? 0);
    }
    rotation = roundVec(rotation);
    push(
      state,
      "update_object",
      { name: object.name, rotation },
      degrees !== undefined && !absolute
        ? `Rotated ${object.name} ${degrees}° around ${"xyz"[axis]} (rotation now ${formatVec(rotation)}).`
        : `Set ${object.name}'s rotation to ${formatVec(rotation)}.`,
    );
    object.rotation = rotation;
    rotated.push(object.name);
  }
  state.world.focus = rotated;
  return true;
};

/** A scale change read from words: a factor on the current scale, or an absolute scale. */
type ScaleChange = { factor: Vec3 } | { absolute: number } | { size: number; axis: number };

function readScaleChange(text: string): ScaleChange | undefined {
  const measured = /(\d+(?:\.\d+)?)\s*(?:m|meters?|metres?|units?)\s+(tall|high|wide|long|across|big|in size|in diameter)\b/.exec(text);
  if (measured) return { size: Number(measured[1]), axis: /tall|high/.test(measured[2]!) ? 2 : 0 };
  const times = /(\d+(?:\.\d+)?|two|three|four|five|ten)\s+times\s+(?:as\s+)?(?:big|bigger|large|larger|the size)/.exec(text);
  if (times) {
    const value = readCount(times[1]) ?? Number(times[1]);
    return { factor: [value, value, value] };
  }
  if (/\b(?:twice|double|2x)\b/.test(text)) return { factor: [2, 2, 2] };
  if (/\b(?:triple|three times|3x)\b/.test(text)) return { factor: [3, 3, 3] };
  if (/\b(?:half|halve)\b/.test(text)) return { factor: [0.5, 0.5, 0.5] };
  const by = /\bby (?:a factor of )?(\d+(?:\.\d+)?)\b/.exec(text);
  if (by) return { factor: [Number(by[1]), Number(by[1]), Number(by[1])] };
  const to = /\b(?:to|size|scale)\s*(?:of\s*|=\s*)?(\d+(?:\.\d+)?)\b/.exec(text) ?? /^\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (to) return { absolute: Number(to[1]) };
  if (/\b(?:much bigger|much larger)\b/.test(text)) return { factor: [2, 2, 2] };
  if (/\b(?:much smaller)\b/.test(text)) return { factor: [0.5, 0.5, 0.5] };
  if (/\b(?:bigger|larger|grow|enlarge)\b/.test(text)) return { factor: [1.5, 1.5, 1.5] };
  if (/\b(?:smaller|shrink)\b/.test(text)) return { factor: [1 / 1.5, 1 / 1.5, 1 / 1.5] };
  if (/\b(?:taller|higher)\b/.test(text)) return { factor: [1, 1, 1.5] };
  if (/\b(?:shorter|flatter)\b/.test(text)) return { factor: [1, 1, 1 / 1.5] };
  if (/\b(?:wider|broader)\b/.test(text)) return { factor: [1.5, 1, 1] };
  if (/\b(?:narrower|thinner)\b/.test(text)) return { factor: [1 / 1.5, 1, 1] };
  if (/\b(?:longer|deeper)\b/.test(text)) return { factor: [1, 1.5, 1] };
  for (const [word, size] of Object.entries(SIZE_WORDS)) if (new RegExp(`\\b${word}\\b`).test(text)) return { absolute: size };
  return undefined;
}

function applyScale(object: WorldObject, change: ScaleChange): number | Vec3 {
  let factor: Vec3 | undefined;
  if ("size" in change) {
    // "2 meters tall": scale evenly so that side measures the size.
    const current = object.dimensions[change.axis] || object.dimensions[0] || 2;
    const value = change.size / current;
    factor = [value, value, value];
  } else if ("factor" in change) factor = change.factor;
  const next: Vec3 =
    "absolute" in change
      ? [change.absolute, change.absolute, change.absolute]
      : (object.scale.map((value, axis) => value * factor![axis]!) as Vec3);
  const clamped = roundVec(next.map((value) => Math.min(10_000, Math.max(0.001, value))));
  return clamped[0] === clamped[1] && clamped[1] === clamped[2] ? clamped[0] : clamped;
}

function recordScale(object: WorldObject, scale: number | Vec3): void {
  const next: Vec3 = typeof scale === "number" ? [scale, scale, scale] : scale;
  object.dimensions = object.dimensions.map((value, axis) =>
    object.scale[axis] ? (value / object.scale[axis]!) * next[axis]! : value,
  ) as Vec3;
  object.scale = next;
}

/** Plans the update_object call that rescales `object`, and keeps the planner's view of it in step. */
function planScale(state: PlanState, object: WorldObject, change: ScaleChange): void {
  const scale = applyScale(object, change);
  push(
    state,
    "update_object",
    { name: object.name, scale },
    `Scaled ${object.name} to ${typeof scale === "number" ? scale : formatVec(scale)}.`,
  );
  recordScale(object, scale);
}

const handleScale: Handler = (clause, state) => {
  const match =
    /^(?:scale|resize|shrink|grow|enlarge|stretch|double(?: the size of)?|triple(?: the size of)?|halve(?: the size of)?)\s+/.exec(
      clause.text,
    );
  if (!match) return false;
  const verb = match[0].trim();
  const rest = clause.text.slice(match[0].length);
  const reference = firstReference(rest, state, "scale");
  const after = `${/^(?:shrink|grow|enlarge|double|triple|halve)/.test(verb) ? verb : ""} ${rest.slice(reference.end)}`;
  const change = readScaleChange(after) ?? (verb === "stretch" ? { factor: [1, 1, 1.5] as Vec3 } : undefined);
  if (!change)
    throw new PlanRefusal(`How big should it be? e.g. "scale the cube by 2", "make the sphere twice as big", "resize the cone to 0.5".`);
  const scaled: string[] = [];
  for (const object of reference.objects) {
    planScale(state, object, change);
    scaled.push(object.name);
  }
  state.world.focus = scaled;
  return true;
};

function materialArgs(material: MaterialWords | undefined, color: string | undefined): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (!material) return args;
  if (material.color) args.color = material.color;
  if (material.metallic !== undefined) args.metallic = material.metallic;
  if (material.roughness !== undefined) args.roughness = material.roughness;
  if (material.alpha !== undefined) args.alpha = material.alpha;
  if (material.glow !== undefined) {
    args.emissionColor = color ?? material.color ?? "white";
    args.emissionStrength = material.glow;
  }
  return args;
}

function describeMaterial(args: Record<string, unknown>): string {
  const words: string[] = [];
  if (args.metallic === 1) words.push("metallic");
  if (typeof args.roughness === "number")
    words.push(args.roughness <= 0.15 ? "glossy" : args.roughness >= 0.8 ? "matte" : `roughness ${args.roughness}`);
  if (typeof args.alpha === "number") words.push(args.alpha === 0 ? "invisible" : "transparent");
  if (args.emissionStrength) words.push(`glowing ${args.emissionColor}`);
  if (args.color) words.unshift(String(args.color));
  return words.join(", ");
}

const handleEdit: Handler = (clause, state) => {
  const match =
    /^(?:make|color|colour|paint|turn|change|set|give|recolou?r|dye|tint|change the colou?r of|set the colou?r of|change the material of|set the material of)\s+/.exec(
      clause.text,
    );
  if (!match) return false;
  const rest = clause.text.slice(match[0].length);
  // "make a red cube" adds.
  if (/^(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|\d+|some|several|few)\b/.test(rest)) return false;
  const references = findReferences(rest, state);
  const reference = references[0];
  if (!reference && !state.world.authoritative && !OBJECT_PHRASE.test(rest)) throw new SceneNeeded();
  if (!reference && !state.world.authoritative && /^[\w.-]+\s/.test(rest) && !/^(?:the|this|that)\b/.test(rest)) throw new SceneNeeded();
  if (!reference) return false;
  // Everything after the last reference says what to change ("make the cube and the cone red").
  const targets = references.filter(
    (entry) =>
      entry.index === reference.index ||
      /^[\s,]*(?:and|,)\s*$/.test(rest.slice(references[references.indexOf(entry) - 1]?.end ?? 0, entry.index)),
  );
  const last = targets[targets.length - 1]!;
  const after = rest.slice(last.end);
  const color = readColor(after.replace(/\bglow(?:ing|s)?\b/g, " "));
  const material = readMaterial(after);
  const scaleChange = readScaleChange(after.replace(/\b(?:light|dark)\b/g, ""));
  const edited: string[] = [];
  if (!color && !material && !scaleChange) {
    throw new PlanRefusal(
      `What should change about ${reference.phrase}? e.g. a color ("blue", "#ff8800"), a surface (metallic, glossy, matte, glowing, transparent) or a size (bigger, twice as big).`,
    );
  }
  for (const object of targets.flatMap((entry) => entry.objects)) {
    if (edited.includes(object.name)) continue;
    if (object.kind === "light") {
      if (!color) throw new PlanRefusal(`${object.name} is a light: I can change its color, move it or delete it.`);
      push(state, "update_object", { name: object.name, color }, `Made ${object.name} ${color}.`);
      edited.push(object.name);
      continue;
    }
    const surface = materialArgs(material, color);
    if (Object.keys(surface).length > 0) {
      const args = { name: object.name, ...(color ? { color } : {}), ...surface };
      push(state, "set_material", args, `Made ${object.name} ${describeMaterial(args)}.`);
    } else if (color) {
      push(state, "update_object", { name: object.name, color }, `Made ${object.name} ${color}.`);
    }
    if (scaleChange) {
      planScale(state, object, scaleChange);
    }
    const newColor = color ?? material?.color;
    if (newColor) object.color = parseColorToSrgb(newColor) as Vec3 | undefined;
    edited.push(object.name);
  }
  state.world.focus = edited;
  return true;
};

// ---------------------------------------------------------------------------------------------
// Adding objects.

const ADD_VERB =
  /^(?:add|create|make|put|place|insert|give me|generate|build|spawn|draw|include|drop|there should be|i want|i need|i'd like|i would like|show me|new|and)\s+/;
const OBJECT_PHRASE = new RegExp(
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

const TYPE_LABELS: Record<ObjectType, string> = {
  cube: "cube",
  uv_sphere: "sphere",
  ico_sphere: "ico sphere",
  cylinder: "cylinder",
  cone: "cone",
  torus: "torus",
  plane: "plane",
  circle: "circle",
  monkey: "monkey",
  text: "text",
};

function withArticle(words: string): string {
  return `${/^[aeiou]/i.test(words) ? "an" : "a"} ${words}`;
}

const NESTED_ADD =
  /^(.*?)\s+(on top of|on|onto|above|over|below|under|underneath|beneath|next to|beside|to the left of|to the right of|left of|right of|in front of|behind|near)\s+((?:an?|one)\s+.*)$/;

interface AddSpec {
  type: ObjectType;
  count: number;
  phrase: string;
}

const handleAdd: Handler = (clause, state) => {
  let text = clause.text;
  const verb = ADD_VERB.exec(text);
  if (verb) text = text.slice(verb[0].length);
  else if (!OBJECT_PHRASE.test(text) || /^(?:the|this|that|these|those|it|them)\b/.test(text)) return false;
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
    specs.push({ type, count, phrase });
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
    /\b(?:on top of|on|onto|above|over|below|under|underneath|beneath|to the left of|left of|to the right of|right of|in front of|behind|next to|beside|near|as big as|as large as|the size of)\b/;
  const relationAt = tail.search(relationWords);
  const tailOwn = relationAt >= 0 ? tail.slice(0, relationAt) : tail;
  const descriptive = `${ownWords} ${tailOwn.replace(/\b(?:named|called)\s+\S+/, "")}`.replace(/⟦\d+⟧/g, " ");
  const color = readColor(descriptive.replace(/\b(?:saying|that says|reading).*$/, ""));
  const material = readMaterial(descriptive);
  // Size: adjectives, "size 2", "3 meters tall", "twice as big as the cube".
  let scale: Vec3 = [1, 1, 1];
  const sizeWord = Object.keys(SIZE_WORDS).find((word) => new RegExp(`\\b${word}\\b`).test(descriptive));
  if (sizeWord) scale = [SIZE_WORDS[sizeWord]!, SIZE_WORDS[sizeWord]!, SIZE_WORDS[sizeWord]!];
  const sizeNumber = /\b(?:size|scale|scaled(?: by)?)\s*(?:of\s*|=\s*)?(\d+(?:\.\d+)?)\b/.exec(phrase);
  if (sizeNumber) scale = [Number(sizeNumber[1]), Number(sizeNumber[1]), Number(sizeNumber[1])];
  const meters = /(\d+(?:\.\d+)?)\s*(?:m|meters?|metres?|units?)\s+(tall|high|wide|across|long|big|in size|in diameter)\b/.exec(phrase);
  if (meters) {
    const size = Number(meters[1]);
    const base = dimensionsOf(type, [1, 1, 1]);
    const axis = /tall|high/.test(meters[2]!) ? 2 : 0;
    const value = size / (base[axis] || 2);
    scale = [value, value, value];
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
  const relation = relationAt >= 0 && !comparison ? readRelation(tail.slice(relationAt), state) : undefined;
  const sideways =
    !relation && !explicit ? /\b(?:on|to) the (left|right)\b|\bin (front)\b|\b(behind)\b|\bin the (back)\b/.exec(phrase) : null;
  const arrangement = /\b(?:in a (?:circle|ring)|around (?:a|the) (?:circle|origin|center))\b/.test(phrase)
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
    anchor = placeRelative(relation.anchor, relation.relation, groupSize, relation.gap);
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
      const radius = Math.max(step, (count * step) / (2 * Math.PI));
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

// ---------------------------------------------------------------------------------------------

const HANDLERS: Handler[] = [
  handleHelp,
  handleGreeting,
  handleDescribe,
  handleClear,
  handleRender,
  handleExport,
  handleWorld,
  handleCamera,
  handleDelete,
  handleRename,
  handleDuplicate,
  handleRotate,
  handleScale,
  handleMove,
  handleAddLight,
  handleEdit,
  handleAdd,
];

/**
 * Reads a message into tool calls. Pure and deterministic: the same text and scene give the same plan.
 * Returns `needs-scene` when the message refers to objects it has not been shown (call get_scene and
 * plan again with `scene`), and `refusal` (with what it can do) when any part cannot be read.
 */
export function planInstructions(message: string, options: PlanOptions = {}): PlanResult {
  const { text, quotes } = extractQuotes(message.trim().replace(/\s+/g, " "));
  const world = new PlannerWorld(options.scene ?? options.lastSeenScene, options.scene !== undefined, options.focus ?? []);
  const state: PlanState = { world, calls: [], notes: [], quotes };
  const clauses = splitClauses(
    text
      .replace(/’/g, "'")
      .replace(/\blet's\b/gi, "let us")
      .replace(/\b(\w+)'s\b(?! (?:a|an|the)\b)/g, "$1"),
  );
  if (clauses.length === 0) return { kind: "refusal", text: `Tell me what to do with the scene.\n${capabilitiesText()}` };
  for (const clause of clauses) {
    try {
      const handled = HANDLERS.some((handler) => handler(clause, state));
      if (!handled) {
        return {
          kind: "refusal",
          text: `I could not read "${restoreQuotes(clause.original, quotes)}", so I did nothing.\n${capabilitiesText()}`,
        };
      }
    } catch (error) {
      if (error instanceof SceneNeeded) return { kind: "needs-scene" };
      if (error instanceof PlanRefusal) {
        return { kind: "refusal", text: `${error.message} I did nothing.${error.listCapabilities ? `\n${capabilitiesText()}` : ""}` };
      }
      throw error;
    }
  }
  return { kind: "plan", calls: state.calls, notes: state.notes, focus: world.focus };
}
