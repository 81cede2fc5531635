// An AgentStore in memory, for tests of the agent that are not about storage: messages in order
// per project with increasing ids, contexts trimmed to the newest artifacts like the real stores.
// The stores the product runs on (SQLite, PostgreSQL) are @bod/state's, tested by its contract.
import {
  type AgentStore,
  type ConversationMessage,
  emptyContext,
  MAX_CONTEXT_ARTIFACTS,
  type ProjectContext,
} from "../store/conversation-store.ts";

export interface MemoryAgentStore extends AgentStore {
  /** Every message stored, oldest first, across projects. */
  readonly messages: readonly ConversationMessage[];
}

export function createMemoryAgentStore(): MemoryAgentStore {
  const messages: ConversationMessage[] = [];
  const contexts = new Map<string, string>();
  return {
    messages,
    async appendMessage(message) {
      const stored: ConversationMessage = structuredClone({
        ...message,
        id: messages.length + 1,
        createdAt: message.createdAt ?? new Date().toISOString(),
      });
      messages.push(stored);
      return structuredClone(stored);
    },
    async listMessages(projectId, options = {}) {
      const limit = Math.max(1, Math.min(options.limit ?? 1000, 10_000));
      const before = options.beforeId ?? Number.POSITIVE_INFINITY;
      const found = messages.filter((message) => message.projectId === projectId && message.id < before);
      return structuredClone(found.slice(-limit));
    },
    async getContext(projectId) {
      const saved = contexts.get(projectId);
      return saved ? { ...emptyContext(), ...(JSON.parse(saved) as Partial<ProjectContext>) } : emptyContext();
    },
    async saveContext(projectId, context) {
      // Kept as JSON, as the real stores do, so a test sees exactly what survives a round trip.
      contexts.set(projectId, JSON.stringify({ ...context, artifacts: context.artifacts.slice(-MAX_CONTEXT_ARTIFACTS) }));
    },
  };
}
