// GatewayStore on Node's built-in SQLite. Its tables carry a `gateway_` prefix and its migrations
// run as the "gateway" set of the agent's migration table, so users, projects and conversations
// share one file (`<data dir>/bod.sqlite`) and, in `bod serve`, one connection.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type Migration, migrate } from "@bod/agent";
import { hashSecret, issueToken, parseToken, secretMatches } from "../auth/api-token.ts";
import { type GatewayStore, type Project, type User, UserExistsError } from "./gateway-store.ts";

const GATEWAY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "users, hashed API tokens, projects and their owners, server secrets",
    sql: `CREATE TABLE gateway_users (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL
   );
   CREATE TABLE gateway_tokens (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES gateway_users(id) ON DELETE CASCADE,
     secret_sha256 TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE gateway_projects (
     id TEXT PRIMARY KEY,
     owner_id TEXT NOT NULL REFERENCES gateway_users(id) ON DELETE CASCADE,
     name TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX gateway_projects_owner ON gateway_projects(owner_id, created_at);
   CREATE TABLE gateway_secrets (
     name TEXT PRIMARY KEY,
     value BLOB NOT NULL
   );`,
  },
];

export interface SqliteGatewayStoreOptions {
  /** The database file, e.g. `<data dir>/bod.sqlite`; ":memory:" for tests. */
  path?: string;
  /** An open database to share (the agent store's); `close` then leaves it open for its owner. */
  database?: DatabaseSync;
  /** ISO time; injectable for tests. */
  now?: () => Date;
}

/** A project id from its name: the name's slug (at most 40 characters) and 8 random hex digits. */
export function projectIdFor(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return `${slug || "project"}-${randomBytes(4).toString("hex")}`;
}

export function createSqliteGatewayStore(options: SqliteGatewayStoreOptions): GatewayStore {
  const path = options.path ?? ":memory:";
  if (!options.database && path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = options.database ?? new DatabaseSync(path);
  const ownsDatabase = !options.database;
  const now = () => (options.now?.() ?? new Date()).toISOString();
  if (ownsDatabase) db.exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
  migrate(db, "gateway", GATEWAY_MIGRATIONS);

  const statements = {
    insertUser: db.prepare("INSERT INTO gateway_users (id, name, created_at) VALUES (?, ?, ?)"),
    userByName: db.prepare("SELECT id, name, created_at FROM gateway_users WHERE name = ?"),
    userById: db.prepare("SELECT id, name, created_at FROM gateway_users WHERE id = ?"),
    insertToken: db.prepare("INSERT INTO gateway_tokens (id, user_id, secret_sha256, created_at) VALUES (?, ?, ?, ?)"),
    tokenById: db.prepare("SELECT user_id, secret_sha256 FROM gateway_tokens WHERE id = ?"),
    insertProject: db.prepare("INSERT INTO gateway_projects (id, owner_id, name, created_at) VALUES (?, ?, ?, ?)"),
    projectsOf: db.prepare("SELECT id, owner_id, name, created_at FROM gateway_projects WHERE owner_id = ? ORDER BY created_at DESC, id"),
    projectOf: db.prepare("SELECT id, owner_id, name, created_at FROM gateway_projects WHERE owner_id = ? AND id = ?"),
    deleteProject: db.prepare("DELETE FROM gateway_projects WHERE owner_id = ? AND id = ?"),
    secret: db.prepare("SELECT value FROM gateway_secrets WHERE name = ?"),
    insertSecret: db.prepare("INSERT OR IGNORE INTO gateway_secrets (name, value) VALUES (?, ?)"),
  };
  // A constant hash to compare against when the token id is unknown, so both paths cost the same.
  const decoyHash = hashSecret("decoy");

  type UserRow = { id: string; name: string; created_at: string };
  type ProjectRow = { id: string; owner_id: string; name: string; created_at: string };
  const toUser = (row: UserRow): User => ({ id: row.id, name: row.name, createdAt: row.created_at });
  const toProject = (row: ProjectRow): Project => ({ id: row.id, ownerId: row.owner_id, name: row.name, createdAt: row.created_at });

  function addToken(userId: string): string {
    const issued = issueToken();
    statements.insertToken.run(issued.id, userId, issued.hash, now());
    return issued.token;
  }

  return {
    async createUser(name) {
      if (statements.userByName.get(name)) throw new UserExistsError(name);
      const user: User = { id: `u_${randomBytes(8).toString("hex")}`, name, createdAt: now() };
      db.exec("BEGIN");
      try {
        statements.insertUser.run(user.id, user.name, user.createdAt);
        const token = addToken(user.id);
        db.exec("COMMIT");
        return { user, token };
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    },
    async issueToken(userId) {
      return addToken(userId);
    },
    async findUserByName(name) {
      const row = statements.userByName.get(name) as UserRow | undefined;
      return row ? toUser(row) : undefined;
    },
    async authenticate(token) {
      const parsed = parseToken(token);
      if (!parsed) return undefined;
      const row = statements.tokenById.get(parsed.id) as { user_id: string; secret_sha256: string } | undefined;
      const matches = secretMatches(parsed.secret, row?.secret_sha256 ?? decoyHash);
      if (!row || !matches) return undefined;
      const user = statements.userById.get(row.user_id) as UserRow | undefined;
      return user ? toUser(user) : undefined;
    },
    async createProject(ownerId, name) {
      const project: Project = { id: projectIdFor(name), ownerId, name, createdAt: now() };
      statements.insertProject.run(project.id, project.ownerId, project.name, project.createdAt);
      return project;
    },
    async listProjects(ownerId) {
      return (statements.projectsOf.all(ownerId) as ProjectRow[]).map(toProject);
    },
    async getProject(ownerId, projectId) {
      const row = statements.projectOf.get(ownerId, projectId) as ProjectRow | undefined;
      return row ? toProject(row) : undefined;
    },
    async deleteProject(ownerId, projectId) {
      return Number(statements.deleteProject.run(ownerId, projectId).changes) > 0;
    },
    async secret(name) {
      statements.insertSecret.run(name, randomBytes(32));
      const row = statements.secret.get(name) as { value: Uint8Array };
      return new Uint8Array(row.value);
    },
    async close() {
      if (ownsDatabase && db.isOpen) db.close();
    },
  };
}
