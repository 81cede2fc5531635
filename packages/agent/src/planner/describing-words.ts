// The words that describe a new object or a composite ("a small wooden table", "two tall red
// cylinders"): each is read into a color, a surface or a size, and a word the planner does not know
// is reported rather than skipped, so an instruction is never acted on with a word left unread.

import type { MaterialWords } from "./lexicon.ts";
import { SIZE_WORDS } from "./lexicon.ts";
import { readColors, readMaterial } from "./values.ts";
import type { Vec3 } from "./world.ts";

/** Per-axis scale factors for shape words, [x, y, z]. */
export const SHAPE_WORDS: Record<string, Vec3> = {
  tall: [1, 1, 1.5],
  taller: [1, 1, 1.5],
  high: [1, 1, 1.5],
  short: [1, 1, 0.6],
  low: [1, 1, 0.6],
  flat: [1, 1, 0.25],
  wide: [1.5, 1, 1],
  broad: [1.5, 1, 1],
  long: [1.5, 1, 1],
  narrow: [0.6, 1, 1],
  thin: [0.6, 0.6, 1],
  skinny: [0.6, 0.6, 1],
  slim: [0.6, 0.6, 1],
  fat: [1.5, 1.5, 1],
  thick: [1.4, 1.4, 1],
};

/** Surface words that are materials of their own: a color and a roughness. */
export const SUBSTANCE_WORDS: Record<string, MaterialWords & { color: string }> = {
  wooden: { color: "#8b5a2b", roughness: 0.8, metallic: 0 },
  wood: { color: "#8b5a2b", roughness: 0.8, metallic: 0 },
  oak: { color: "#a0703c", roughness: 0.8, metallic: 0 },
  stone: { color: "#8a8a85", roughness: 0.95, metallic: 0 },
  marble: { color: "#f2f0eb", roughness: 0.2, metallic: 0 },
  brick: { color: "#a0442c", roughness: 0.9, metallic: 0 },
  concrete: { color: "#9a9a9a", roughness: 0.95, metallic: 0 },
  rubber: { color: "#1a1a1a", roughness: 0.9, metallic: 0 },
  copper: { color: "#b87333", metallic: 1, roughness: 0.25 },
  bronze: { color: "#cd7f32", metallic: 1, roughness: 0.3 },
};

/** Words that add nothing to what is built ("a nice simple cube", "a new sphere"). */
const NEUTRAL_WORDS = new Set([
  "new",
  "another",
  "more",
  "extra",
  "additional",
  "simple",
  "basic",
  "plain",
  "nice",
  "cute",
  "little",
  "regular",
  "normal",
  "default",
  "standard",
  "single",
  "solid",
  "3d",
  "of",
  "and",
  "very",
  "really",
  "colored",
  "coloured",
  "some",
  "the",
  "whole",
  "full",
  "real",
  "proper",
  "cool",
  "pretty",
  "beautiful",
  "classic",
  "modern",
]);

const COUNT_WORDS =
  /^(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|\d+|few|several|couple|pair|dozen)$/;

/** What describing words say about an object, and the words that could not be read. */
export interface Description {
  color: string | undefined;
  material: MaterialWords | undefined;
  /** Uniform size factor from size words (small 0.5, big 2, ...), 1 when none. */
  size: number;
  /** Per-axis factors from shape words (tall, wide, flat, ...), [1, 1, 1] when none. */
  shape: Vec3;
  /** Substance words (wooden, stone, ...), in the order given. */
  substances: string[];
  /** Words no vocabulary knows. */
  unknown: string[];
}

/**
 * Reads describing words (the words before a noun). Colors, size words, shape words, surface and
 * substance words, counts and neutral words are understood; anything else is returned in `unknown`.
 */
export function readDescription(text: string): Description {
  const colors = readColors(text);
  // "a 3 m tall cylinder": a measure before the noun is read where sizes are.
  let rest = text.replace(/\b\d+(?:\.\d+)?\s*(?:cm|mm|m|meters?|metres?|units?)\s+(?:tall|high|wide|across|long|deep|big)\b/g, (words) =>
    " ".repeat(words.length),
  );
  for (const found of [...colors].reverse()) rest = `${rest.slice(0, found.index)} ${rest.slice(found.index + found.length)}`;
  const material = readMaterial(text);
  let size = 1;
  let shape: Vec3 = [1, 1, 1];
  const substances: string[] = [];
  const unknown: string[] = [];
  for (const word of rest.split(/[\s,]+/).filter(Boolean)) {
    if (SIZE_WORDS[word] !== undefined) size *= SIZE_WORDS[word]!;
    else if (SHAPE_WORDS[word]) shape = shape.map((value, axis) => value * SHAPE_WORDS[word]![axis]!) as Vec3;
    else if (SUBSTANCE_WORDS[word]) substances.push(word);
    else if (COUNT_WORDS.test(word) || NEUTRAL_WORDS.has(word)) continue;
    else if (readMaterial(word) || /^(?:semi|see|through|lit|up)$/.test(word) || /^\d{1,3}%$/.test(word)) continue;
    // "half transparent", "slightly see-through": degrees of a surface word.
    else if (material && /^(?:half|halfway|partly|partially|slightly|somewhat|mostly|completely|fully|totally|bit)$/.test(word)) continue;
    else if (/^(?:light|dark|bright|pale|deep)$/.test(word) && colors.length > 0) continue;
    else unknown.push(word);
  }
  const color = colors[colors.length - 1]?.color;
  return { color, material, size, shape, substances, unknown };
}

/** The question the planner asks about words it does not know, with examples of what it reads. */
export function unknownWordsQuestion(words: readonly string[], what: string): string {
  const list = words.map((word) => `"${word}"`).join(", ");
  return `I do not know what ${list} means for ${what}. I understand colors (red, #ff8800), sizes (small, big, tall, wide), surfaces (metallic, glossy, glass, glowing) and materials (wooden, stone, marble): e.g. "a small wooden table" or "two tall red cylinders".`;
}
