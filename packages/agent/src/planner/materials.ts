// Surface words ("metallic", "glowing red") as set_material arguments, and those arguments back as
// words for the summary.
import type { MaterialWords } from "./lexicon.ts";

export function materialArgs(material: MaterialWords | undefined, color: string | undefined): Record<string, unknown> {
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

export function describeMaterial(args: Record<string, unknown>): string {
  const words: string[] = [];
  if (args.metallic === 1) words.push("metallic");
  if (typeof args.roughness === "number")
    words.push(args.roughness <= 0.15 ? "glossy" : args.roughness >= 0.8 ? "matte" : `roughness ${args.roughness}`);
  if (typeof args.alpha === "number") words.push(args.alpha === 0 ? "invisible" : "transparent");
  if (args.emissionStrength) words.push(`glowing ${args.emissionColor}`);
  if (args.color) words.unshift(String(args.color));
  return words.join(", ");
}
