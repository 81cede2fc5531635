// The SQLite state: the State contract on a real file in a temp folder (two instances on it, as
// two replicas would be), an upgrade of a bod.sqlite written by the schema before the state
// module, and the migrations themselves.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { issueToken } from "./api-token.ts";
import { migrateSqlite, SQLITE_MIGRATIONS } from "./sqlite-migrations.ts";
import { createSqliteState } from "./sqlite-state.ts";
import { describeStateContract } from "./state-contract.ts";

const folders: string[] = [];
function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "bod-state-"));
  folders.push(folder);
  return folder;
}

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Every row of every table of the file, as JSON. */
function dumpFile(path: string): string {
  const database = new DatabaseSync(path, { readOnly: true });
  try {
    const tables = database.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
    return JSON.stringify(
      tables.map(({ name }) => ({
        name,
        rows: database.prepare(`SELECT * FROM "${name}"`).all(),
      })),
      (_key, value) => (value instanceof Uint8Array ? Buffer.from(value).toString("hex") : value),
    );
  } finally {
    database.close();
  }
}

describeStateContract("SQLite", async () => {
  const folder = mkdtempSync(join(tmpdir(), "bod-state-contract-"));
  const path = join(folder, "nested", "bod.sqlite");
  return {
    open: async () => createSqliteState({ path }),
    dump: async () => dumpFile(path),
    drop: async () => rmSync(folder, { recursive: true, force: true }),
  };
});

/** The migrations `bod.sqlite` had before the state module: the agent's set and the gateway's, verbatim. */
const EARLIER_SCHEMA = [
  {
    name: "agent",
    description: "conversations and project context",
    sql: `
      CREATE TABLE agent_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id TEXT NOT NULL,
        turn_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        text TEXT NOT NULL,
        tool_calls TEXT NOT NULL DEFAULT '[]',
        artifacts TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
      );
      CREATE INDEX agent_messages_by_project ON agent_messages (project_id, id);
      CREATE TABLE agent_project_context (
        project_id TEXT PRIMARY KEY,
        context TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    name: "gateway",
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

/**
 * Writes a bod.sqlite the way the earlier code did (its migrations, recorded as it recorded them)
 * with one user, one token, one project, a conversation, a context and the link-signing secret.
 */
function writeEarlierFile(path: string): { token: string; secret: Uint8Array } {
  const database = new DatabaseSync(path);
  database.exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;");
  database.exec(`CREATE TABLE schema_migrations (
    name TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (name, version))`);
  for (const set of EARLIER_SCHEMA) {
    database.exec(set.sql);
    database.prepare("INSERT INTO schema_migrations VALUES (?, 1, ?, ?)").run(set.name, set.description, "2026-11-01T00:00:00.000Z");
  }
  // Tokens had the same form then: the id in the clear, the secret's SHA-256.
  const issued = issueToken();
  database.prepare("INSERT INTO gateway_users VALUES ('u_1', 'alice', '2026-11-01T00:00:00.000Z')").run();
  database.prepare("INSERT INTO gateway_tokens VALUES (?, 'u_1', ?, '2026-11-01T00:00:00.000Z')").run(issued.id, issued.hash);
  database.prepare("INSERT INTO gateway_projects VALUES ('scene-0badcafe', 'u_1', 'Scene', '2026-11-02T00:00:00.000Z')").run();
  const secret = new Uint8Array(32).fill(7);
  database.prepare("INSERT INTO gateway_secrets VALUES ('artifact-links', ?)").run(secret);
  const insert = database.prepare(
    "INSERT INTO agent_messages (project_id, turn_id, role, text, tool_calls, artifacts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  insert.run("scene-0badcafe", "t1", "user", "add a red cube", "[]", "[]", "2026-11-02T00:00:01.000Z");
  insert.run(
    "scene-0badcafe",
    "t1",
    "assistant",
    "Added Cube.",
    JSON.stringify([{ id: "c1", name: "add_object", arguments: { type: "cube" }, durationMs: 5 }]),
    "[]",
    "2026-11-02T00:00:02.000Z",
  );
  database
    .prepare("INSERT INTO agent_project_context VALUES (?, ?, ?)")
    .run("scene-0badcafe", JSON.stringify({ focus: ["Cube"], artifacts: [], settings: {} }), "2026-11-02T00:00:02.000Z");
  database.close();
  return { token: issued.token, secret };
}

describe("createSqliteState on a bod.sqlite from before", () => {
  it("adopts the earlier tables: users, tokens, projects, conversations, context and secrets are all there", async () => {
    const path = join(tempFolder(), "bod.sqlite");
    const { token, secret } = writeEarlierFile(path);
    const state = createSqliteState({ path });
    const alice = await state.findUserByName("alice");
    expect(alice).toEqual({ id: "u_1", name: "alice", createdAt: "2026-11-01T00:00:00.000Z" });
    expect(await state.authenticate(token)).toEqual(alice);
    expect(await state.listProjects("u_1")).toEqual([
      { id: "scene-0badcafe", ownerId: "u_1", name: "Scene", createdAt: "2026-11-02T00:00:00.000Z" },
    ]);
    const messages = await state.listMessages("scene-0badcafe");
    expect(messages.map((message) => [message.id, message.text])).toEqual([
      [1, "add a red cube"],
      [2, "Added Cube."],
    ]);
    expect(messages[1]!.toolCalls[0]!.name).toBe("add_object");
    expect((await state.getContext("scene-0badcafe")).focus).toEqual(["Cube"]);
    expect(await state.secret("artifact-links")).toEqual(secret);
    // Ids go on counting from the adopted ones, so paging stays in order.
    const next = await state.appendMessage({
      projectId: "scene-0badcafe",
      turnId: "t2",
      role: "user",
      text: "more",
      toolCalls: [],
      artifacts: [],
    });
    expect(next.id).toBe(3);
    // The adopted foreign keys point at the renamed users table.
    const bob = await state.createUser("bob");
    expect((await state.authenticate(bob.token))?.name).toBe("bob");
    await expect(state.createProject("u_nobody", "x")).rejects.toThrow(/FOREIGN KEY/);
    await state.close();

    const raw = new DatabaseSync(path, { readOnly: true });
    const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map(
      (row) => row.name,
    );
    const sets = raw.prepare("SELECT name, version FROM schema_migrations ORDER BY name, version").all();
    raw.close();
    expect(tables.filter((name) => name.startsWith("agent_") || name.startsWith("gateway_"))).toEqual([]);
    expect(sets).toEqual([
      { name: "agent", version: 1 },
      { name: "gateway", version: 1 },
      { name: "state", version: 1 },
      { name: "state", version: 2 },
    ]);
  });
});

describe("migrateSqlite", () => {
  it("applies each migration once, also on a file that has them all", () => {
    const database = new DatabaseSync(":memory:");
    expect(migrateSqlite(database, "state", SQLITE_MIGRATIONS)).toEqual([1, 2]);
    expect(migrateSqlite(database, "state", SQLITE_MIGRATIONS)).toEqual([]);
    database.close();
  });

  it("rolls back a failing migration and names it", () => {
    const database = new DatabaseSync(":memory:");
    const broken = [
      {
        version: 1,
        description: "broken",
        apply: (db: DatabaseSync) => db.exec("CREATE TABLE ok (id INTEGER); THIS IS NOT SQL"),
      },
    ];
    expect(() => migrateSqlite(database, "x", broken)).toThrow(/Migration x 1 \(broken\) failed/);
    expect(database.prepare("SELECT count(*) AS n FROM schema_migrations").get()).toEqual({ n: 0 });
    expect(database.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'ok'").get()).toEqual({ n: 0 });
    database.close();
  });
});

describe("createSqliteState in memory", () => {
  it("is a whole state that shares its lock table with no one", async () => {
    const first = createSqliteState({ path: ":memory:" });
    const second = createSqliteState({ path: ":memory:" });
    const lease = await first.tryAcquireTurn("p", { holder: "first" });
    expect(lease).toBeDefined();
    expect(await second.tryAcquireTurn("p", { holder: "second" })).toBeDefined();
    await first.close();
    await second.close();
  });

  it("forgets rate-limit buckets once they would be full again", async () => {
    let now = 1_000_000;
    const state = createSqliteState({ path: ":memory:", now: () => now });
    const limit = { capacity: 2, refillPerSecond: 1 };
    await state.takeRateLimit("a", limit);
    await state.takeRateLimit("b", limit);
    const count = () => (state.database.prepare("SELECT count(*) AS n FROM state_rate_limits").get() as { n: number }).n;
    expect(count()).toBe(2);
    now += 120_000;
    await state.takeRateLimit("c", limit);
    expect(count()).toBe(1);
    await state.close();
  });
});
