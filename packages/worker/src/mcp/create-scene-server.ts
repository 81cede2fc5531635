// One factory builds the MCP server for every transport and protocol era: Streamable HTTP
// (2026-07-28 and the stateless 2025 fallback), legacy HTTP+SSE, and stdio.
import { McpServer } from "@modelcontextprotocol/server";
import { registerSceneResources } from "./scene-resources.ts";
import { registerSceneTools, type SceneToolDependencies } from "./scene-tools.ts";

export const SERVER_INFO = { name: "blender-on-demand", title: "Blender on demand", version: "0.1.0" } as const;

const INSTRUCTIONS =
  "Scene tools for a headless Blender. Blender is Z-up, units are meters, rotations are degrees. " +
  "Call get_scene to see object names before editing. render_frame returns a PNG; export_scene returns a downloadable file.";

export function createSceneServer(deps: SceneToolDependencies): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {}, resources: {}, logging: {} },
    instructions: INSTRUCTIONS,
  });
  registerSceneTools(server, deps);
  registerSceneResources(server, deps);
  return server;
}
