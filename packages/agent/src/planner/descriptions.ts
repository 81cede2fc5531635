// The planner's words for what is in the scene: object type labels, the scene listed for a reply,
// and the short list of objects a refusal names so the user can pick one.
import type { ObjectType } from "@bod/contracts";
import { formatVec, round } from "./values.ts";
import type { PlannerWorld, Vec3 } from "./world.ts";

export const TYPE_LABELS: Record<ObjectType, string> = {
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

export function withArticle(words: string): string {
  return `${/^[aeiou]/i.test(words) ? "an" : "a"} ${words}`;
}

export function describeObjects(world: PlannerWorld): string {
  const objects = world.objects;
  if (objects.length === 0) return "The scene is empty.";
  return `The scene has: ${objects.map((object) => `${object.name} (${object.kind === "light" ? `${object.lightType} light` : object.primitive ? TYPE_LABELS[object.primitive] : "object"})`).join(", ")}.`;
}

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

export function describeScene(world: PlannerWorld): string {
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
