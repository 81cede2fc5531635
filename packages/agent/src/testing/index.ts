// Test doubles the agent package ships for other packages' tests: a scripted OpenAI-compatible
// server, an in-memory tool client that records calls, and an in-memory conversation store.

export { createMemoryAgentStore, type MemoryAgentStore } from "./memory-agent-store.ts";
export { createRecordingToolClient, type RecordingToolClient } from "./recording-tool-client.ts";
export {
  type RecordedRequest,
  type ScriptedOpenAiServer,
  type ScriptedReply,
  startScriptedOpenAiServer,
} from "./scripted-openai-server.ts";
