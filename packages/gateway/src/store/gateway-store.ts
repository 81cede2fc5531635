// The state port of the gateway: users, their API tokens, and which user owns which project.
// SQLite is the embedded default (sqlite-gateway-store.ts); PostgreSQL would implement the same.

export interface User {
  id: string;
  name: string;
  /** ISO 8601. */
  createdAt: string;
}

export interface Project {
  /** A runtime project id: lowercase slug of the name plus random hex. */
  id: string;
  ownerId: string;
  name: string;
  /** ISO 8601. */
  createdAt: string;
}

export interface GatewayStore {
  /** Creates a user and its first token; the token is returned once and stored only hashed. Throws when the name is taken. */
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
  deleteProject(ownerId: string, projectId: string): Promise<boolean>;

  /** A random secret kept with the state (created on first use), e.g. the link-signing key. */
  secret(name: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

export class UserExistsError extends Error {
  constructor(name: string) {
    super(`A user named "${name}" already exists.`);
    this.name = "UserExistsError";
  }
}
