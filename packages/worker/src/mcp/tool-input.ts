// Turns validated tool input into bridge arguments: colors become linear RGB (what Blender's
// shaders take) and a uniform scale becomes [s, s, s], so the bridge handles one shape; so does
// insert_keyframe's value when it is a color or a scale.
import { type Color, colorToLinear } from "@bod/contracts";

const COLOR_FIELDS = new Set(["color", "emissionColor"]);

export function toBridgeArguments(input: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (COLOR_FIELDS.has(key)) args[key] = colorToLinear(value as Color);
    else if (key === "scale" && typeof value === "number") args[key] = [value, value, value];
    // insert_keyframe's value takes the shape of its property.
    else if (key === "value" && input.property === "color") args[key] = colorToLinear(value as Color);
    else if (key === "value" && input.property === "scale" && typeof value === "number") args[key] = [value, value, value];
    else args[key] = value;
  }
  return args;
}
