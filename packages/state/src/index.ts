// Public surface of the state package: the State port (users, tokens, projects, conversations,
// turn lock, rate limits), its SQLite and PostgreSQL implementations, and createState, which
// picks one from a URL. createPostgresState itself is @bod/state/postgres (so that SQLite users
// never load `pg`); the contract suite both pass is @bod/state/testing.
export { DECOY_HASH, hashSecret, type IssuedToken, issueToken, parseToken, secretMatches } from "./api-token.ts";
export { type CreateStateOptions, createState, isPostgresUrl } from "./create-state.ts";
export { StateUnavailableError } from "./errors/state-unavailable-error.ts";
export { TurnStillRunningError } from "./errors/turn-still-running-error.ts";
export { UserExistsError } from "./errors/user-exists-error.ts";
export type { PostgresState, PostgresStateOptions } from "./postgres-state.ts";
export { projectIdFor } from "./project-id.ts";
export { createSqliteState, type SqliteState, type SqliteStateOptions } from "./sqlite-state.ts";
export {
  type ConversationMessage,
  emptyContext,
  MAX_CONTEXT_ARTIFACTS,
  type MessageRole,
  type NewMessage,
  type Project,
  type ProjectContext,
  type RateLimit,
  type State,
  type TurnAcquireOptions,
  type TurnLease,
  type User,
} from "./state.ts";
