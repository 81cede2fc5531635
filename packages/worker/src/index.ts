// The worker package: headless Blender behind a standard MCP server.
export type { RuntimeToWorker, StartPhases, WorkerToRuntime } from "./control-protocol.ts";
export { createSceneServer, SERVER_INFO } from "./mcp/create-scene-server.ts";
export {
  openScriptSandbox,
  type ResolvedScriptSandbox,
  type ScriptSandboxSettings,
} from "./script/script-sandbox.ts";
export { serveWorkerOverStdio } from "./stdio.ts";
export { startWorker, type Worker, type WorkerBinding, type WorkerOptions, type WorkerState } from "./worker.ts";
