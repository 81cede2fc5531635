// Colors as people and models write them (CSS names, #hex, [r,g,b]) parsed into the
// linear RGB that Blender's shaders expect. Pure: no Node imports.
import cssColorNames from "color-name";
import { z } from "zod";

/** Linear-light RGB, each channel 0..1, as Blender stores material and light colors. */
export type LinearRgb = [number, number, number];

const HEX_PATTERN = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** Names accepted as colors: the CSS named colors (`red`, `steelblue`, ...). */
export const COLOR_NAMES: readonly string[] = Object.keys(cssColorNames);

/** sRGB transfer function inverse (IEC 61966-2-1): display value 0..1 to linear light. */
export function srgbToLinear(channel: number): number {
  return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
}

/** Linear light 0..1 to the sRGB display value 0..1. */
export function linearToSrgb(channel: number): number {
  const clamped = Math.min(1, Math.max(0, channel));
  return clamped <= 0.0031308 ? clamped * 12.92 : 1.055 * clamped ** (1 / 2.4) - 0.055;
}

/**
 * A color as a CSS name, `#rgb`/`#rrggbb`, or `[r, g, b]` with sRGB channels 0..1.
 * All three describe display (sRGB) colors, so "#ff0000" and [1, 0, 0] and "red" agree.
 */
export const ColorSchema = z
  .union([z.string().trim().min(1).max(32), z.tuple([z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1)])])
  .describe('A CSS color name ("red", "steelblue"), a hex code ("#ff0000", "#f00"), or [r, g, b] with sRGB channels 0..1.')
  .superRefine((value, context) => {
    if (typeof value === "string" && parseColorToSrgb(value) === undefined) {
      context.addIssue({
        code: "custom",
        message: `Unknown color "${value}". Use a CSS color name (e.g. red, navy, gold), a hex code like #ff8800 or #f80, or [r, g, b] with channels 0..1.`,
      });
    }
  });

export type Color = z.infer<typeof ColorSchema>;

/** Parses a color into sRGB channels 0..1, or undefined when it is not a known color. */
export function parseColorToSrgb(color: Color): LinearRgb | undefined {
  if (Array.isArray(color)) return [color[0], color[1], color[2]];
  const text = color.trim().toLowerCase();
  if (HEX_PATTERN.test(text)) {
    const digits = text.length === 4 ? [...text.slice(1)].map((d) => d + d).join("") : text.slice(1);
    return [0, 2, 4].map((offset) => Number.parseInt(digits.slice(offset, offset + 2), 16) / 255) as LinearRgb;
  }
  const named = (cssColorNames as Record<string, [number, number, number]>)[text.replace(/[\s_-]+/g, "")];
  return named ? (named.map((c) => c / 255) as LinearRgb) : undefined;
}

/** Parses a color into the linear RGB Blender uses; throws on an unknown color (validate first). */
export function colorToLinear(color: Color): LinearRgb {
  const srgb = parseColorToSrgb(color);
  if (!srgb) throw new Error(`Unknown color: ${JSON.stringify(color)}`);
  return srgb.map(srgbToLinear) as LinearRgb;
}

/** Formats linear RGB as the `#rrggbb` a person would recognise. */
export function linearToHex(rgb: readonly number[]): string {
  return `#${rgb
    .slice(0, 3)
    .map((c) =>
      Math.round(linearToSrgb(c) * 255)
        .toString(16)
        .padStart(2, "0"),
    )
    .join("")}`;
}
