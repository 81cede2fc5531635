// A ToolClient double for tests of the turn loop: it records every call and answers from a small
// in-memory scene (objects by name, lights, camera, world) so multi-step turns can run without a
// worker. It checks names the way the worker does (object_not_found, name_taken) but it is not
// Blender: sizes are the primitives' defaults times scale, and renders are a fake link.
import { RENDER_DEFAULTS } from "@bod/contracts";
import type { Scene } from "../scene.ts";
import type { ToolCallOptions, ToolCallOutcome, ToolCallRequest, ToolClient } from "../tool-client.ts";

export interface RecordingToolClient extends ToolClient {
  calls: ToolCallRequest[];
  scene: Scene;
  /** Make the next call of `name` fail with this error code and message. */
  failNext(name: string, code: string, message: string): void;
  /** Make every call wait this many milliseconds (honouring the signal). */
  delayMs: number;
}

const SIZES: Record<string, [number, number, number]> = {
  torus: [2.5, 2.5, 0.5],
  plane: [2, 2, 0],
  circle: [2, 2, 0],
  monkey: [2.73, 1.71, 1.97],
  text: [2, 0.7, 0],
};

function ok(value: Record<string, unknown>): ToolCallOutcome {
  // A copy, as a result that came over the wire would be.
  const structured = structuredClone(value);
  return {
    isError: false,
    content: [{ type: "text", text: JSON.stringify(structured) }],
    structuredContent: structured,
    text: JSON.stringify(structured),
  };
}

function fail(code: string, message: string): ToolCallOutcome {
  return { isError: true, content: [{ type: "text", text: `${code}: ${message}` }], text: `${code}: ${message}`, errorCode: code };
}

function material(color: unknown) {
  return {
    name: "Material",
    baseColor: typeof color === "string" && color.startsWith("#") ? color : "#cccccc",
    metallic: 0,
    roughness: 0.5,
    emissionColor: "#000000",
    emissionStrength: 0,
    alpha: 1,
  };
}

export function createRecordingToolClient(): RecordingToolClient {
  const failures = new Map<string, { code: string; message: string }>();
  let artifactCounter = 0;
  const client: RecordingToolClient = {
    calls: [],
    delayMs: 0,
    scene: {
      objects: [],
      totalObjects: 0,
      lights: [{ name: "Light", type: "point", location: [4, -4, 5], rotation: [0, 0, 0], color: "#ffffff", energy: 1000 }],
      camera: { name: "Camera", location: [7, -7, 5], rotation: [60, 0, 45], lens: 50 },
      world: { color: "#0d0d0d", strength: 1 },
      render: { ...RENDER_DEFAULTS },
    },
    failNext(name, code, message) {
      failures.set(name, { code, message });
    },
    async callTool(request: ToolCallRequest, options: ToolCallOptions = {}) {
      client.calls.push(request);
      if (client.delayMs > 0) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, client.delayMs);
          options.signal?.addEventListener(
            "abort",
            () => {
              clearTimeout(timer);
              reject(Object.assign(new Error("aborted"), { name: "AbortError" }));
            },
            { once: true },
          );
        });
      }
      const failure = failures.get(request.name);
      if (failure) {
        failures.delete(request.name);
        return fail(failure.code, failure.message);
      }
      const args = request.arguments;
      const scene = client.scene;
      const find = (name: unknown) => scene.objects.find((object) => object.name === name);
      const taken = (name: unknown) =>
        scene.objects.some((object) => object.name === name) || scene.lights.some((light) => light.name === name);
      switch (request.name) {
        case "add_object": {
          const type = String(args.type);
          const base =
            type === "uv_sphere"
              ? "Sphere"
              : type === "ico_sphere"
                ? "Icosphere"
                : type === "monkey"
                  ? "Suzanne"
                  : `${type[0]!.toUpperCase()}${type.slice(1)}`;
          let name = typeof args.name === "string" ? args.name : base;
          if (taken(name)) {
            if (typeof args.name === "string") return fail("name_taken", `An object named ${name} exists; pick another name.`);
            for (let index = 1; taken(name); index++) name = `${base}.${String(index).padStart(3, "0")}`;
          }
          const scale =
            typeof args.scale === "number" ? [args.scale, args.scale, args.scale] : ((args.scale as number[] | undefined) ?? [1, 1, 1]);
          const size = SIZES[type] ?? [2, 2, 2];
          const object = {
            name,
            type: type === "text" ? "FONT" : "MESH",
            primitive: type,
            location: (args.location as number[] | undefined) ?? [0, 0, 0],
            rotation: (args.rotation as number[] | undefined) ?? [0, 0, 0],
            scale,
            dimensions: size.map((value, axis) => value * scale[axis]!),
            material: material(args.color),
            ...(typeof args.text === "string" ? { text: args.text } : {}),
          };
          scene.objects.push(object);
          return ok({ object });
        }
        case "update_object":
        case "set_material": {
          const object = find(args.name);
          if (!object) return fail("object_not_found", `No object named ${String(args.name)}. Call get_scene for the names.`);
          if (typeof args.newName === "string") {
            if (taken(args.newName)) return fail("name_taken", `An object named ${args.newName} exists.`);
            object.name = args.newName;
          }
          if (args.location) object.location = args.location as number[];
          if (args.translate) object.location = object.location.map((value, axis) => value + (args.translate as number[])[axis]!);
          if (args.rotation) object.rotation = args.rotation as number[];
          if (args.scale !== undefined) {
            const scale = typeof args.scale === "number" ? [args.scale, args.scale, args.scale] : (args.scale as number[]);
            object.dimensions = object.dimensions.map((value, axis) => (value / (object.scale[axis] || 1)) * scale[axis]!);
            object.scale = scale;
          }
          if (args.color !== undefined) object.material = material(args.color);
          return ok({ object });
        }
        case "delete_object": {
          const before = scene.objects.length + scene.lights.length;
          scene.objects = scene.objects.filter((object) => object.name !== args.name);
          scene.lights = scene.lights.filter((light) => light.name !== args.name);
          if (scene.objects.length + scene.lights.length === before)
            return fail("object_not_found", `No object named ${String(args.name)}.`);
          return ok({ deleted: args.name });
        }
        case "get_scene":
          return ok({ ...scene, totalObjects: scene.objects.length });
        case "add_light": {
          const light = {
            name: typeof args.name === "string" ? args.name : "Light.001",
            type: args.type as "point",
            location: (args.location as number[] | undefined) ?? [0, 0, 5],
            rotation: [0, 0, 0],
            color: "#ffffff",
            energy: (args.energy as number | undefined) ?? 1000,
          };
          scene.lights.push(light);
          return ok({ light });
        }
        case "render_frame": {
          for (const progress of [25, 50, 100]) options.onProgress?.({ progress, total: 100, message: `rendering ${progress}%` });
          artifactCounter += 1;
          const id = `${String(artifactCounter).padStart(32, "0")}.png`;
          return ok({
            artifact: {
              id,
              kind: "render",
              mimeType: "image/png",
              bytes: 1234,
              url: `http://worker.test/artifacts/${id}`,
              createdAt: new Date(0).toISOString(),
            },
            engine: (args.engine as string | undefined) ?? RENDER_DEFAULTS.engine,
            width: (args.width as number | undefined) ?? RENDER_DEFAULTS.width,
            height: (args.height as number | undefined) ?? RENDER_DEFAULTS.height,
            samples: (args.samples as number | undefined) ?? RENDER_DEFAULTS.samples,
            renderMs: 1500,
          });
        }
        case "export_glb":
        case "export_scene": {
          const format = request.name === "export_glb" ? "glb" : String(args.format);
          artifactCounter += 1;
          const id = `${String(artifactCounter).padStart(32, "0")}.${format}`;
          return ok({
            format,
            artifact: {
              id,
              kind: "export",
              mimeType: "model/gltf-binary",
              bytes: 999,
              url: `http://worker.test/artifacts/${id}`,
              createdAt: new Date(0).toISOString(),
            },
            extraArtifacts: [],
          });
        }
        case "clear_scene": {
          const removed = scene.objects.map((object) => object.name);
          scene.objects = [];
          return ok({ removed });
        }
        default:
          return ok({ ok: true });
      }
    },
    async close() {},
  };
  return client;
}
