// The State port: everything the gateway and the agent keep between requests (users and hashed
// tokens, projects and their owners, conversations, project context, server secrets) and the two
// things several gateway replicas must agree on: which replica runs a project's turn, and how
// many requests a user has left. SQLite (one process, one file) and PostgreSQL (shared by
// replicas) implement it; state-contract.ts is the one test suite both pass.
import type { AgentStore, ConversationMessage, MessageRole, NewMessage, ProjectContext } from "@bod/agent";

export type { ConversationMessage, MessageRole, NewMessage, ProjectContext };

export interface User {
  id: string;
  name: string;
  /** ISO 8601. */
  createdAt: string;
}

export interface Project {
  /** A runtime project id: lowercase slug of the name plus 8 random hex digits. */
  id: string;
  ownerId: string;
  name: string;
  /** ISO 8601. */
  createdAt: string;
}

/** A token bucket: `capacity` requests in a burst, refilled continuously. */
export interface RateLimit {
  /** Requests allowed in a burst; a whole number of at least 1. */
  capacity: number;
  /** Requests added back per second; above 0. */
  refillPerSecond: number;
}

export interface TurnAcquireOptions {
  /** Who runs the turn, for logs and for the row other replicas see (e.g. "gateway-7f3a turn 12"); at most 200 characters. */
  holder: string;
}

/**
 * The right to run one turn of one project, held until `release()`. Only one lease per project
 * exists at a time across every State instance on the same backing store.
 */
export interface TurnLease {
  readonly projectId: string;
  readonly holder: string;
  /**
   * Aborted when the turn should stop: a cancel was requested on any instance
   * (`requestCancel`), the project was deleted, or the lock itself was lost (the database
   * connection that held it dropped, or the State was closed). `reason` is an Error whose
   * message says which.
   */
  readonly cancelled: AbortSignal;
  /** Gives the lock back; safe to call more than once and after the lock was lost. */
  release(): Promise<void>;
}

/**
 * Users, tokens, projects, secrets, the agent's conversations and context, the per-project turn
 * lock and per-key rate limits. The conversation part is the agent's own port (`AgentStore`),
 * so a State is what `createAgent({ store })` takes.
 */
export interface State extends AgentStore {
  /** Creates a user and its first token; the token is returned once and stored only hashed. Throws UserExistsError when the name is taken. */
  createUser(name: string): Promise<{ user: User; token: string }>;
  /** Adds another token for an existing user (e.g. `bod serve` signing in its owner at start). */
  issueToken(userId: string): Promise<string>;
  findUserByName(name: string): Promise<User | undefined>;
  /** The user a token belongs to, or undefined. */
  authenticate(token: string): Promise<User | undefined>;

  createProject(ownerId: string, name: string): Promise<Project>;
  /** The owner's projects, newest first. */
  listProjects(ownerId: string): Promise<Project[]>;
  /** The project if it exists and belongs to `ownerId`. */
  getProject(ownerId: string, projectId: string): Promise<Project | undefined>;
  /**
   * Removes the project and its conversation, context and turn record in one transaction, after
   * cancelling its running turn (on whichever instance runs it) and waiting for that turn to give
   * its lease back, so nothing the turn writes outlives the project. Resolves to whether the
   * project existed. Throws TurnStillRunningError when the turn did not stop in time (nothing is
   * deleted then).
   */
  deleteProject(projectId: string): Promise<boolean>;

  /** A random 32-byte secret kept with the state (created on first use, the same on every instance), e.g. the link-signing key. */
  secret(name: string): Promise<Uint8Array>;

  /** The project's turn lock, or undefined when a turn of the project holds it already (here or on another instance). */
  tryAcquireTurn(projectId: string, options: TurnAcquireOptions): Promise<TurnLease | undefined>;
  /**
   * Asks the project's running turn to stop, wherever it runs: its lease's `cancelled` signal
   * aborts with `reason`. Resolves to whether a turn was running.
   */
  requestCancel(projectId: string, reason?: string): Promise<boolean>;

  /**
   * Takes one request from the bucket `key` (shared by every instance on the same backing store).
   * Resolves to 0 when allowed, else the whole seconds until a request will be (at least 1).
   * A bucket left alone until it would be full again is forgotten.
   */
  takeRateLimit(key: string, limit: RateLimit): Promise<number>;

  /** Releases this instance's turn leases (aborting their turns) and closes its connections. */
  close(): Promise<void>;
}

/** Most artifacts a project context keeps (the newest). */
export const MAX_CONTEXT_ARTIFACTS = 100;

/** The context of a project nothing was saved for. */
export function emptyContext(): ProjectContext {
  return { focus: [], artifacts: [], settings: {} };
}

/** The context as stored: at most MAX_CONTEXT_ARTIFACTS artifacts, the newest. */
export function trimContext(context: ProjectContext): ProjectContext {
  return { ...context, artifacts: context.artifacts.slice(-MAX_CONTEXT_ARTIFACTS) };
}

/** The context read back: the defaults under what was stored. */
export function readContext(stored: Partial<ProjectContext> | undefined): ProjectContext {
  return { ...emptyContext(), ...stored };
}

/** Throws a RangeError naming what is allowed when a rate limit or a key is out of range. */
export function checkRateLimit(key: string, limit: RateLimit): void {
  if (typeof key !== "string" || key.length === 0 || key.length > 500)
    throw new RangeError("A rate-limit key is a string of 1 to 500 characters.");
  if (!Number.isInteger(limit.capacity) || limit.capacity < 1 || limit.capacity > 1_000_000)
    throw new RangeError(`A rate limit's capacity is a whole number from 1 to 1000000 (got ${limit.capacity}).`);
  if (!Number.isFinite(limit.refillPerSecond) || limit.refillPerSecond <= 0 || limit.refillPerSecond > 1_000_000)
    throw new RangeError(`A rate limit's refillPerSecond is above 0 and at most 1000000 (got ${limit.refillPerSecond}).`);
}

/** Seconds to wait for a bucket left with `tokens` (below 1) to hold one request again. */
export function secondsUntilToken(tokens: number, limit: RateLimit): number {
  return Math.max(1, Math.ceil((1 - tokens) / limit.refillPerSecond));
}

/** Throws a RangeError when a turn holder is not 1 to 200 characters. */
export function checkHolder(holder: string): void {
  if (typeof holder !== "string" || holder.length === 0 || holder.length > 200)
    throw new RangeError("A turn lease's holder is a string of 1 to 200 characters.");
}
