// Reading values out of a clause: vectors, colors, materials, counts, angles, distances and
// directions; and rounding and printing them the one way every summary does.
import { COLOR_NAMES } from "@bod/contracts";
import { MATERIAL_WORDS, type MaterialWords, NUMBER_WORDS } from "./lexicon.ts";
import type { Vec3 } from "./world.ts";

const NUMBER = String.raw`-?\d+(?:\.\d+)?`;
const VECTOR_PATTERN = new RegExp(String.raw`\(?\[?\s*(${NUMBER})\s*(?:,\s*|\s+)(${NUMBER})\s*(?:,\s*|\s+)(${NUMBER})\s*\]?\)?`);
const AXIS_VALUE_PATTERN = /\b([xyz])\s*(?:=|:|\s)\s*(-?\d+(?:\.\d+)?)\b/g;

export function round(value: number): number {
  return Math.round(value * 1000) / 1000 + 0;
}

export function roundVec(values: readonly number[]): Vec3 {
  return [round(values[0] ?? 0), round(values[1] ?? 0), round(values[2] ?? 0)];
}

export function formatVec(values: readonly number[]): string {
  return `(${roundVec(values).join(", ")})`;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function readVector(text: string): Vec3 | undefined {
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
export function readColors(text: string): Array<{ color: string; index: number; length: number }> {
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

export function readColor(text: string): string | undefined {
  const colors = readColors(text);
  return colors[colors.length - 1]?.color;
}

export function readMaterial(text: string): MaterialWords | undefined {
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
  // "half transparent", "slightly see-through": the degree binds to the transparency it modifies.
  const degree =
    /\b(half|halfway|partly|partially|slightly|a (?:little|bit)|somewhat|very|mostly|completely|fully|totally)\s+(?:transparent|see[- ]through|translucent|invisible)\b/.exec(
      text,
    );
  if (degree && material) {
    const word = degree[1]!;
    const alpha = /^(?:completely|fully|totally)$/.test(word)
      ? /invisible/.test(degree[0])
        ? 0
        : 0.05
      : /^(?:very|mostly)$/.test(word)
        ? 0.15
        : /^(?:slightly|a little|a bit|somewhat)$/.test(word)
          ? 0.8
          : 0.5;
    material = { ...material, alpha };
  }
  return material;
}

export function readCount(word: string | undefined): number | undefined {
  if (word === undefined) return undefined;
  if (/^\d+$/.test(word)) return Number(word);
  return NUMBER_WORDS[word];
}

export function readDegrees(text: string): number | undefined {
  const match = /(-?\d+(?:\.\d+)?)\s*(?:°|degrees?|degs?|deg)\b/.exec(text) ?? /(-?\d+(?:\.\d+)?)\s*°/.exec(text);
  if (match) return Number(match[1]);
  if (/\bquarter turn\b/.test(text)) return 90;
  if (/\bhalf (?:a )?turn\b|\bupside down\b|\baround\b(?! the [xyz]\b)(?!\s+[xyz]\b)|\bturn around\b/.test(text)) return 180;
  const bare = /\bby (-?\d+(?:\.\d+)?)\b/.exec(text) ?? /^\S+\s+\S+(?:\s+\S+)?\s+(-?\d+(?:\.\d+)?)$/.exec(text);
  return bare ? Number(bare[1]) : undefined;
}

export function readAmount(text: string): number | undefined {
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

export function readDirection(text: string): Vec3 | undefined {
  for (const [pattern, direction] of DIRECTIONS) if (pattern.test(text)) return direction;
  return undefined;
}
