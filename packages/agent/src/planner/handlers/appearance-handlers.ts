// The handler that changes how objects look: color, surface (metallic, glossy, glowing,
// transparent) and size, for one object or several ("make the cube and the cone red").
import { parseColorToSrgb } from "@bod/contracts";
import { SUBSTANCE_WORDS, unknownWordsQuestion } from "../describing-words.ts";
import { type MaterialWords, SIZE_WORDS } from "../lexicon.ts";
import { describeMaterial, materialArgs } from "../materials.ts";
import { type Handler, push } from "../plan-state.ts";
import { findReferences } from "../references.ts";
import { readColor, readColors, readMaterial } from "../values.ts";
import { PlanRefusal, SceneNeeded, type Vec3 } from "../world.ts";
import { OBJECT_PHRASE } from "./add-handlers.ts";
import { planScale, readScaleChange } from "./transform-handlers.ts";

export const handleEdit: Handler = (clause, state) => {
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
  let after = rest.slice(last.end);
  // "make the cube red and the sphere blue": each object its own change.
  const next = references.find(
    (entry) =>
      entry.index >= last.end &&
      /^\s*(?:,\s*(?:and\s+)?|and\s+)$/.test(rest.slice(last.end, entry.index).replace(/^.*?(?=\s*(?:,|\band\b)[^,]*$)/, "")),
  );
  if (next) {
    const joint = /(?:\s*,\s*(?:and\s+)?|\s+and\s+)$/.exec(rest.slice(0, next.index));
    if (joint && joint.index > last.end) {
      after = rest.slice(last.end, joint.index);
      const offset = match[0].length + next.index;
      const more = {
        text: `${match[0]}${rest.slice(next.index)}`,
        original: `${clause.original.slice(0, match[0].length)}${clause.original.slice(offset)}`,
      };
      const first = handleEdit(
        { text: `${match[0]}${rest.slice(0, joint.index)}`, original: clause.original.slice(0, match[0].length + joint.index) },
        state,
      );
      if (!first) return false;
      const touched = state.world.focus;
      if (!handleEdit(more, state)) throw new PlanRefusal(`I could not read "${rest.slice(next.index)}".`, true);
      state.world.focus = [...touched, ...state.world.focus];
      return true;
    }
  }
  // "less shiny", "less transparent": the opposite direction of the surface word.
  const less = /\bless\s+([a-z-]+)\b/.exec(after);
  let lessWords: MaterialWords | undefined;
  if (less) {
    lessWords = LESS_WORDS[less[1]!];
    if (!lessWords) throw new PlanRefusal(unknownWordsQuestion([less[0]], reference.phrase));
    after = after.replace(less[0], " ");
  }
  const unread = unreadEditWords(after);
  if (unread.length > 0) throw new PlanRefusal(unknownWordsQuestion(unread, reference.phrase));
  const substanceWord = Object.keys(SUBSTANCE_WORDS).find((word) => new RegExp(String.raw`\b${word}\b`).test(after));
  const substance = substanceWord ? SUBSTANCE_WORDS[substanceWord] : undefined;
  const color = readColor(after.replace(/\bglow(?:ing|s)?\b/g, " ")) ?? substance?.color;
  const read = lessWords ? { ...readMaterial(after), ...lessWords } : readMaterial(after);
  const material = substance ? { ...substance, ...(color ? { color } : {}), ...read } : read;
  const scaleChange = readScaleChange(after.replace(/\b(?:light|dark)\b/g, ""));
  const edited: string[] = [];
  if (!color && !material && !scaleChange) {
    throw new PlanRefusal(
      `What should change about ${reference.phrase}? e.g. a color ("blue", "#ff8800"), a surface (metallic, glossy, matte, glowing, transparent) or a size (bigger, twice as big).`,
    );
  }
  for (const target of targets.flatMap((entry) => entry.objects)) {
    // A group's color and surface are its parts'; its size is the group's own scale.
    const parts = target.kind === "group" && (color || material) ? state.world.members(target) : [target];
    if (target.kind === "group" && scaleChange) {
      planScale(state, target, scaleChange);
      edited.push(target.name);
    }
    for (const object of parts) {
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
      if (scaleChange && object.kind !== "group" && object === target) {
        planScale(state, object, scaleChange);
      }
      const newColor = color ?? material?.color;
      if (newColor) object.color = parseColorToSrgb(newColor) as Vec3 | undefined;
      edited.push(object.name);
    }
  }
  state.world.focus = edited;
  return true;
};

/** Words an edit may use besides colors: surfaces, degrees, sizes, measures and connectives. */
const EDIT_WORDS = new Set(
  (
    "transparent translucent see through semi invisible opaque glass glassy chrome mirror mirrored glossy shiny polished shinier glossier " +
    "matte matt rough dull flat golden metallic metal steel iron plastic glowing glow glows emissive emitting neon luminous lit up shining " +
    "half halfway partly partially slightly a an bit little touch somewhat very mostly completely fully totally much more less " +
    "bigger larger smaller taller shorter wider narrower thinner longer deeper flatter broader higher grow shrink enlarge " +
    "twice double triple times as the size its of to by factor scale m meter meters metre metres unit units tall high wide across long in diameter " +
    "and color colour colored coloured with it look looks same into be made finish surface material appearance thick thicker deep one two three four five ten"
  ).split(" "),
);

/** The words of an edit ("red and glossy", "half transparent") that no vocabulary reads. */
function unreadEditWords(text: string): string[] {
  let rest = text.replace(/#(?:[0-9a-f]{6}|[0-9a-f]{3})\b/g, " ");
  for (const found of [...readColors(rest)].reverse()) rest = `${rest.slice(0, found.index)} ${rest.slice(found.index + found.length)}`;
  return rest
    .split(/[\s,.;:!?%()[\]-]+/)
    .filter(Boolean)
    .filter(
      (word) =>
        !EDIT_WORDS.has(word) &&
        SIZE_WORDS[word] === undefined &&
        SUBSTANCE_WORDS[word] === undefined &&
        !/^\d+(?:\.\d+)?x?$/.test(word) &&
        !/^(?:light|dark|bright|pale|deep)$/.test(word),
    );
}

/** "less X": surface settings in the other direction from X. */
const LESS_WORDS: Record<string, MaterialWords> = {
  shiny: { roughness: 0.6 },
  glossy: { roughness: 0.6 },
  reflective: { roughness: 0.6 },
  rough: { roughness: 0.3 },
  matte: { roughness: 0.3 },
  metallic: { metallic: 0 },
  metal: { metallic: 0 },
  transparent: { alpha: 0.8 },
  "see-through": { alpha: 0.8 },
};
