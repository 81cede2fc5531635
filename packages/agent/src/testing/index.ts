// Test doubles the agent package ships for other packages' tests: a scripted OpenAI-compatible
// server and an in-memory tool client that records calls.

export { createRecordingToolClient, type RecordingToolClient } from "./recording-tool-client.ts";
export {
  type RecordedRequest,
  type ScriptedOpenAiServer,
  type ScriptedReply,
  startScriptedOpenAiServer,
} from "./scripted-openai-server.ts";
