// Public surface of the agent package: the turn loop, the reasoners (offline planner and LLMs),
// the MCP tool client and the conversation store port (@bod/state implements it). No Blender and
// no bpy anywhere in here.
export {
  type Agent,
  type AgentEvent,
  type AgentEventType,
  type AgentOptions,
  createAgent,
  describeApplied,
  needsPreview,
  PREVIEW_ARTIFACT_KIND,
  PREVIEW_CALL_ID,
  type RunTurnOptions,
  type TurnResult,
  type TurnStatus,
  type TurnTimings,
} from "./agent.ts";
export { REASONER_ERROR_CODES, ReasonerError, type ReasonerErrorCode } from "./errors/reasoner-error.ts";
export { TOOL_CLIENT_ERROR_CODES, ToolClientError, type ToolClientErrorCode } from "./errors/tool-client-error.ts";
export { SYSTEM_INSTRUCTIONS, summarizeScene } from "./llm/instructions.ts";
export {
  contractTools,
  createLanguageModel,
  createLlmReasoner,
  LLM_PROVIDERS,
  type LlmConfig,
  type LlmProvider,
  type LlmReasonerOptions,
} from "./llm/llm-reasoner.ts";
export {
  CAPABILITIES,
  capabilitiesText,
  type PlannedToolCall,
  type PlanOptions,
  type PlanResult,
  planInstructions,
} from "./planner/planner.ts";
export { createPlannerReasoner } from "./planner/planner-reasoner.ts";
export type { ProposedToolCall, Reasoner, ReasonerDecision, ReasonerInput, TurnStep } from "./reasoner.ts";
export { createReasoner, type ReasonerConfig, ReasonerConfigSchema, reasonerConfigFromEnv } from "./reasoner-config.ts";
export { applyToolResult, emptyScene, type Scene } from "./scene.ts";
export {
  type AgentStore,
  type ConversationMessage,
  type ConversationStore,
  emptyContext,
  type MessageRole,
  type NewMessage,
  type ProjectContext,
  type ProjectContextStore,
} from "./store/conversation-store.ts";
export {
  createMcpToolClient,
  type McpToolClient,
  type McpToolClientOptions,
  type ToolCallOptions,
  type ToolCallOutcome,
  type ToolCallProgress,
  type ToolCallRequest,
  type ToolClient,
  type ToolContentBlock,
  type ToolEndpoint,
} from "./tool-client.ts";
export type { ToolCallFailure, ToolCallRecord, TurnArtifact } from "./turn-records.ts";
