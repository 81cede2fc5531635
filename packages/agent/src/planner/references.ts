// Finding the objects a clause refers to: quoted names, noun phrases with adjectives ("the big red
// cube"), names as the scene shows them, "everything", and pronouns for what the last turn touched.
import { type LightType, type ObjectType, parseColorToSrgb } from "@bod/contracts";
import { COMPOSITE_NOUNS, findComposite } from "./composites.ts";
import { describeObjects } from "./descriptions.ts";
import { LIGHT_NOUNS, OBJECT_NOUNS } from "./lexicon.ts";
import type { PlanState } from "./plan-state.ts";
import { escapeRegExp, readColors } from "./values.ts";
import { colorDistance, type PlannerWorld, PlanRefusal, SceneNeeded, type Vec3, type WorldObject } from "./world.ts";

export const OBJECT_NOUN_PATTERN = OBJECT_NOUNS.map(([noun]) => escapeRegExp(noun)).join("|");
export const LIGHT_NOUN_PATTERN = LIGHT_NOUNS.map(([noun]) => escapeRegExp(noun)).join("|");
const GENERIC_NOUNS = "objects|object|things|thing|shapes|shape|ones|one|meshes|mesh";
const DETERMINER = "(?:the|this|that|these|those|all(?: of)?(?: the)?|every|each|both(?: of)?(?: the)?|my|your|our)";
const NOUN_PHRASE_PATTERN = new RegExp(
  String.raw`\b(${DETERMINER})\s+((?:(?!(?:of|the|a|an|to|on|in|at|and|with|from|by|for)\b)[#\w-]+\s+){0,3}?)(${COMPOSITE_NOUNS.map(escapeRegExp).join("|")}|${OBJECT_NOUN_PATTERN}|${LIGHT_NOUN_PATTERN}|${GENERIC_NOUNS})\b`,
  "g",
);
const PRONOUN_PATTERN = /\b(it|them|they|that one|this one|the new one|the last one|the other one|both|all of them|each of them)\b/g;

export interface Reference {
  objects: WorldObject[];
  index: number;
  end: number;
  /** How the user named it, for messages. */
  phrase: string;
}

export const OBJECT_NOUN_MAP = new Map<string, ObjectType>(OBJECT_NOUNS);
export const LIGHT_NOUN_MAP = new Map<string, LightType>(LIGHT_NOUNS);

function isPlural(noun: string, determiner: string): boolean {
  if (/^(?:all|every|each|both|these|those)/.test(determiner)) return true;
  return /(?:s|tori)$/.test(noun) && !["sus", "torus", "glass"].some((ending) => noun.endsWith(ending)) && noun !== "floor";
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

/** A name without Blender's numeric suffix: "Table.001" is a Table. */
function baseName(name: string): string {
  return name.replace(/\.\d{3}$/, "").toLowerCase();
}

function candidatesForNoun(world: PlannerWorld, noun: string): WorldObject[] {
  const composite = findComposite(noun);
  if (composite) {
    const groups = world.objects.filter((object) => object.kind === "group" && baseName(object.name) === composite.name.toLowerCase());
    // "the lamp" is a lamp composite where there is one, else a light.
    if (groups.length > 0 || !LIGHT_NOUN_MAP.has(noun)) return groups;
  }
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
 * The objects the last turn touched, with the parts of a composite it built read as the composite:
 * two or more touched objects under one group stand for that group ("build a chair, make it red").
 */
function groupedFocus(world: PlannerWorld): WorldObject[] {
  const objects = world.focus.map((name) => world.find(name)).filter((object): object is WorldObject => object !== undefined);
  const byParent = new Map<string, number>();
  for (const object of objects) if (object.parent) byParent.set(object.parent, (byParent.get(object.parent) ?? 0) + 1);
  const result: WorldObject[] = [];
  for (const object of objects) {
    const group = object.parent && (byParent.get(object.parent) ?? 0) >= 2 ? world.find(object.parent) : undefined;
    const entry = group?.kind === "group" ? group : object;
    if (!result.includes(entry)) result.push(entry);
  }
  return result;
}

/**
 * Finds every reference to objects in `text` (noun phrases, names, pronouns), in order.
 * Throws SceneNeeded when one can only be resolved by looking at the scene.
 */
export function findReferences(text: string, state: PlanState): Reference[] {
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
    // "the table top", "the snowman's hat": a part of a composite, named by the composite and the part.
    const partWords = /^\s+([a-z]+(?:\s+\d+)?)/.exec(text.slice(index + whole.length));
    const part = partWords ? world.find(`${`${adjectives}${noun}`.trim()} ${partWords[1]}`) : undefined;
    if (part && partWords) {
      add({ objects: [part], index, end: index + whole.length + partWords[0].length, phrase: `${whole}${partWords[0]}` });
      continue;
    }
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
    let objects = groupedFocus(world);
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

export function firstReference(text: string, state: PlanState, what: string): Reference {
  const reference = findReferences(text, state)[0];
  // A bare word may be an object's name ("move Box up"): only the scene can tell.
  if (!reference && !state.world.authoritative) throw new SceneNeeded();
  if (!reference) throw new PlanRefusal(`I could not tell which object to ${what} in "${text}". ${describeObjects(state.world)}`);
  return reference;
}

/**
 * The objects a clause starts with, several joined by "and" or commas ("the cube and the sphere up
 * by 2"), as one reference from the first to the last of them.
 */
export function leadingReference(text: string, state: PlanState, what: string): Reference {
  const references = findReferences(text, state);
  firstReference(text, state, what);
  const first = references[0]!;
  let last = first;
  for (const reference of references.slice(1)) {
    if (!/^\s*(?:,\s*(?:and\s+)?|and\s+|&\s*)$/.test(text.slice(last.end, reference.index))) break;
    last = reference;
  }
  if (last === first) return first;
  const objects = [
    ...new Set(references.slice(references.indexOf(first), references.indexOf(last) + 1).flatMap((reference) => reference.objects)),
  ];
  return { objects, index: first.index, end: last.end, phrase: text.slice(first.index, last.end) };
}
