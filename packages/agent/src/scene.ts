// The scene as the agent last saw it: the get_scene output, kept current by folding in the
// results of the tool calls the agent makes, so the planner can name and place new objects.
import { type getScene, RENDER_DEFAULTS } from "@bod/contracts";
import type { z } from "zod";

/** The output of the `get_scene` tool. */
export type Scene = z.output<typeof getScene.outputSchema>;
export type SceneObjectView = Scene["objects"][number];
export type SceneLightView = Scene["lights"][number];

/** A scene with nothing in it, as a new project starts (before any get_scene). */
export function emptyScene(): Scene {
  return {
    objects: [],
    totalObjects: 0,
    lights: [],
    camera: null,
    world: { color: "#000000", strength: 1 },
    render: { ...RENDER_DEFAULTS },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Folds one successful tool result into the scene and returns the new scene (the input is not
 * changed). Results it does not recognise leave the scene as it was.
 */
export function applyToolResult(scene: Scene, toolName: string, args: unknown, result: unknown): Scene {
  if (!isRecord(result)) return scene;
  const next: Scene = { ...scene, objects: [...scene.objects], lights: [...scene.lights] };
  const withoutName = (name: string) => {
    next.objects = next.objects.filter((object) => object.name !== name);
    next.lights = next.lights.filter((light) => light.name !== name);
  };
  switch (toolName) {
    case "get_scene":
      return result as Scene;
    case "add_object":
    case "duplicate_object":
    case "update_object":
    case "set_material": {
      const object = result.object as SceneObjectView | undefined;
      if (!isRecord(object)) return scene;
      const previousName = toolName === "update_object" && isRecord(args) && typeof args.name === "string" ? args.name : object.name;
      const light = next.lights.find((entry) => entry.name === previousName);
      if (light && toolName === "update_object") {
        withoutName(previousName);
        next.lights.push({ ...light, name: object.name, location: object.location, rotation: object.rotation });
        return next;
      }
      const index = next.objects.findIndex((entry) => entry.name === previousName);
      if (index >= 0) next.objects[index] = object;
      else next.objects.push(object);
      break;
    }
    case "delete_object":
      if (typeof result.deleted === "string") withoutName(result.deleted);
      break;
    case "clear_scene": {
      const removed = Array.isArray(result.removed) ? result.removed.filter((name): name is string => typeof name === "string") : [];
      for (const name of removed) withoutName(name);
      if (isRecord(args) && args.resetAll === true) return { ...emptyScene(), camera: scene.camera };
      break;
    }
    case "add_light":
      if (isRecord(result.light)) next.lights.push(result.light as SceneLightView);
      break;
    case "set_camera":
      if (isRecord(result.camera)) next.camera = result.camera as Scene["camera"];
      break;
    case "set_world":
      if (isRecord(result.world)) next.world = result.world as Scene["world"];
      break;
    default:
      return scene;
  }
  next.totalObjects = next.objects.length;
  return next;
}
