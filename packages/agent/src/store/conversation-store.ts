// The state port of the agent: conversations (messages per project) and project context (the
// scene as last seen, what "it" refers to, recent artifacts). The agent declares what it needs;
// @bod/state implements it (SQLite and PostgreSQL) along with everything else the product keeps,
// and testing/memory-agent-store.ts is a small in-memory one for tests.
import type { Scene } from "../scene.ts";
import type { ToolCallRecord, TurnArtifact } from "../turn-records.ts";

export type MessageRole = "user" | "assistant";

export interface ConversationMessage {
  id: number;
  projectId: string;
  role: MessageRole;
  text: string;
  toolCalls: ToolCallRecord[];
  artifacts: TurnArtifact[];
  /** The turn the message belongs to. */
  turnId: string;
  /** ISO 8601 time. */
  createdAt: string;
}

export type NewMessage = Omit<ConversationMessage, "id" | "createdAt"> & { createdAt?: string };

export interface ProjectContext {
  /** The scene as the agent last saw it (get_scene plus the results of later calls); may be stale. */
  scene?: Scene;
  /** ISO 8601 time the scene was last updated. */
  sceneSeenAt?: string;
  /** Names of the objects the last turn touched: what "it" means in the next message. */
  focus: string[];
  /** Recent artifacts, newest last (at most 100 kept). */
  artifacts: TurnArtifact[];
  /** Free-form per-project settings (e.g. the reasoner chosen for it). */
  settings: Record<string, unknown>;
}

/** Messages of a project's conversation. */
export interface ConversationStore {
  appendMessage(message: NewMessage): Promise<ConversationMessage>;
  /** Messages oldest first; `limit` keeps the newest ones, `beforeId` pages back. */
  listMessages(projectId: string, options?: { limit?: number; beforeId?: number }): Promise<ConversationMessage[]>;
}

/** The agent's memory of a project between turns. */
export interface ProjectContextStore {
  getContext(projectId: string): Promise<ProjectContext>;
  saveContext(projectId: string, context: ProjectContext): Promise<void>;
}

/** Everything the agent reads and writes between turns. */
export interface AgentStore extends ConversationStore, ProjectContextStore {}

/** Most artifacts a project context keeps. */
export const MAX_CONTEXT_ARTIFACTS = 100;

export function emptyContext(): ProjectContext {
  return { focus: [], artifacts: [], settings: {} };
}
