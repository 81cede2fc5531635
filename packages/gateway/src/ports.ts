// What the gateway needs from the rest of the product, declared here by the code that uses it:
// the agent (turns and their history), the runtime (instance state, releasing a project, where
// the agent calls a project's tools) and the artifacts. create-gateway.ts plugs in @bod/agent, the
// local runtime (runtime-adapter.ts) or a Knative one (cluster-runtime-adapter.ts) and an
// @bod/storage ArtifactStore; unit tests plug in small doubles and a real store.
import type { ArtifactStore } from "@bod/storage";

/** A file a tool produced, as the agent reports it. */
export interface AgentArtifact {
  kind: string;
  mimeType: string;
  /** Where the runtime serves it; the gateway replaces it with its own owner-only and signed URLs. */
  url: string;
  id?: string;
  bytes?: number;
  toolCallId?: string;
}

export interface AgentToolCall {
  id: string;
  name: string;
  arguments: unknown;
  result?: unknown;
  error?: { code: string; message: string };
  durationMs: number;
}

/** One event of a turn; `type` is noun-verb (`tool-call-start`) and the rest is JSON. */
export interface AgentEvent {
  type: string;
  [key: string]: unknown;
}

export interface AgentTurnResult {
  turnId: string;
  status: string;
  reply: string;
  toolCalls: AgentToolCall[];
  artifacts: AgentArtifact[];
  error?: { code: string; message: string };
}

export interface AgentMessage {
  id: number;
  role: "user" | "assistant";
  text: string;
  toolCalls: AgentToolCall[];
  artifacts: AgentArtifact[];
  turnId: string;
  createdAt: string;
}

/** Runs turns (the agent). */
export interface TurnRunner {
  runTurn(options: {
    projectId: string;
    text: string;
    signal?: AbortSignal;
    onEvent?: (event: AgentEvent) => void;
  }): Promise<AgentTurnResult>;
}

/** The runtime's view of a project's Blender. */
export interface InstanceView {
  state: "starting" | "ready" | "draining" | "stopped";
  /** ISO 8601 of the last state change. */
  since: string;
  /** ISO 8601 of the last request start or end. */
  lastActivity: string;
  inFlight: number;
  coldStart?:
    | { totalMs: number; spawnMs: number; blenderReadyMs: number; sceneRestoreMs: number; queueMs: number; fromPool: boolean }
    | undefined;
}

/** Where projects' workers run (the runtime). */
export interface ProjectRuntime {
  /** The project's instance, or undefined when none has run since the server started. */
  instance(projectId: string): Promise<InstanceView | undefined>;
  /** Drains and stops the project's worker, then deletes its scene and artifacts. */
  release(projectId: string): Promise<void>;
}

/** Where the agent calls a project's tools: its MCP endpoint, and the bearer token it needs, if any. */
export interface ToolEndpoint {
  url: string;
  token?: string;
}

/**
 * How the agent reaches a project's worker (the runtime's side of the tool client): the local
 * runtime's `/projects/{id}/mcp` with its token, or a Knative Service's cluster address, created
 * on first use.
 */
export interface ProjectToolEndpoints {
  toolEndpoint(projectId: string, signal?: AbortSignal): Promise<ToolEndpoint>;
}

/**
 * The artifacts the gateway serves, by project and id: the read side of @bod/storage's
 * ArtifactStore (a filesystem store over the projects' folders, or S3 shared by every replica).
 */
export type ProjectArtifacts = Pick<ArtifactStore, "head" | "get" | "downloadUrl">;
