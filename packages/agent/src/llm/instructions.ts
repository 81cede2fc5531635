// What the model is told: its job, the scene conventions the tools use, how to recover from
// errors, and a compact view of the scene as last seen.
import type { ProjectContext } from "../store/conversation-store.ts";

export const SYSTEM_INSTRUCTIONS = `You are the agent of blender-on-demand: you edit and render a 3D scene in Blender for the user, only through the tools you are given.
Conventions: meters; Z is up; the floor is usually at z = -1 under objects of size 2 at the origin; rotations in degrees; colors as CSS names ("red"), hex ("#ff8800") or [r, g, b] in 0..1.
Work in steps: call the tools needed (several at once when they do not depend on each other), then read their results.
Before changing objects you have not seen in this conversation, call get_scene to learn their exact names.
A tool result starting with an error code (invalid_arguments, object_not_found, name_taken, ...) means the call did nothing: fix the call and try again, or explain the problem.
Render only when the user asks for a picture. When done, answer in one or two short sentences saying what changed; include links from the results (renders, exports).
If the request cannot be done with the tools, say so and list what you can do: add objects (cube, sphere, cylinder, cone, torus, plane, circle, monkey, text), change color, material, position, rotation, size, name; lights; camera; background; render; export (glb, gltf, obj, stl, fbx, blend).`;

const MAX_LISTED_OBJECTS = 40;

/** The scene as last seen, in a few lines; says when it is unknown. */
export function summarizeScene(context: ProjectContext): string {
  const scene = context.scene;
  if (!scene) return "Scene as last seen: unknown (call get_scene if you need it).";
  const objects = scene.objects.slice(0, MAX_LISTED_OBJECTS).map((object) => {
    const location = object.location.map((value) => Math.round(value * 100) / 100).join(", ");
    return `${object.name} (${object.primitive ?? object.type}) at [${location}]${object.material ? ` ${object.material.baseColor}` : ""}`;
  });
  const more = scene.objects.length > MAX_LISTED_OBJECTS ? ` and ${scene.objects.length - MAX_LISTED_OBJECTS} more` : "";
  const lights = scene.lights.map((light) => `${light.name} (${light.type})`).join(", ");
  return [
    `Scene as last seen${context.sceneSeenAt ? ` at ${context.sceneSeenAt}` : ""} (may be stale; get_scene is exact):`,
    `objects: ${objects.length > 0 ? objects.join("; ") : "none"}${more}`,
    `lights: ${lights || "none"}`,
    context.focus.length > 0 ? `last touched (what "it" means): ${context.focus.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("\n");
}
