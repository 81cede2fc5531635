// The scene and its artifacts as MCP resources, so clients can attach them as context:
// `scene://current` (the get_scene description) and `artifact://{id}` (renders, exports).
import type { ArtifactStore } from "@bod/storage";
import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/server";
import type { SceneEngine } from "../blender/index.ts";

const TEXT_MIME_TYPES = new Set(["model/gltf+json", "model/obj", "model/mtl"]);

/** Read at each request, like the tools' dependencies: a pool worker learns its project when bound. */
export interface SceneResourceDependencies {
  readonly engine: SceneEngine;
  readonly store: ArtifactStore;
  readonly projectId: string;
}

export function registerSceneResources(server: McpServer, deps: SceneResourceDependencies): void {
  server.registerResource(
    "scene",
    "scene://current",
    {
      title: "Current scene",
      description: "Objects, lights, camera, world and render settings (get_scene).",
      mimeType: "application/json",
    },
    async (uri) => {
      const scene = await deps.engine.call("get_scene", { limit: 500 });
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(scene, null, 2) }] };
    },
  );

  server.registerResource(
    "artifact",
    new ResourceTemplate("artifact://{id}", {
      list: async () => ({
        resources: (await deps.store.list(deps.projectId)).map((artifact) => ({
          uri: `artifact://${artifact.id}`,
          name: artifact.id,
          title: `${artifact.kind} ${artifact.id}`,
          mimeType: artifact.mimeType,
          size: artifact.bytes,
        })),
      }),
    }),
    { title: "Artifacts", description: "Renders, exports and uploads of this project." },
    async (uri, variables) => {
      const found = await deps.store.get(deps.projectId, String(variables.id));
      if (!found) throw new Error(`No artifact ${String(variables.id)}.`);
      const bytes = Buffer.concat(await found.body.toArray());
      const { mimeType } = found.artifact;
      return {
        contents: [
          TEXT_MIME_TYPES.has(mimeType)
            ? { uri: uri.href, mimeType, text: bytes.toString("utf8") }
            : { uri: uri.href, mimeType, blob: bytes.toString("base64") },
        ],
      };
    },
  );
}
