// The SQLite gateway store: users and hashed tokens, projects scoped to their owner, migrations.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { UserExistsError } from "./gateway-store.ts";
import { createSqliteGatewayStore, projectIdFor } from "./sqlite-gateway-store.ts";

describe("sqlite gateway store", () => {
  it("stores only the hash of a token and finds its user by it", async () => {
    const folder = mkdtempSync(join(tmpdir(), "bod-store-"));
    const path = join(folder, "bod.sqlite");
    const store = createSqliteGatewayStore({ path });
    const { user, token } = await store.createUser("alice");
    expect(token).toMatch(/^bod_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect((await store.authenticate(token))?.id).toBe(user.id);
    expect(await store.authenticate(`${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`)).toBeUndefined();
    await expect(store.createUser("alice")).rejects.toBeInstanceOf(UserExistsError);
    const second = await store.issueToken(user.id);
    expect((await store.authenticate(second))?.name).toBe("alice");
    await store.close();

    const raw = new DatabaseSync(path);
    const dump = JSON.stringify(raw.prepare("SELECT * FROM gateway_tokens").all());
    raw.close();
    expect(dump).not.toContain(token.split("_")[2]);
    const reopened = createSqliteGatewayStore({ path });
    expect((await reopened.authenticate(token))?.name).toBe("alice");
    await reopened.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it("scopes projects to their owner", async () => {
    const store = createSqliteGatewayStore({ path: ":memory:" });
    const alice = (await store.createUser("alice")).user;
    const bob = (await store.createUser("bob")).user;
    const project = await store.createProject(alice.id, "Scene");
    expect(await store.getProject(bob.id, project.id)).toBeUndefined();
    expect(await store.deleteProject(bob.id, project.id)).toBe(false);
    expect((await store.listProjects(alice.id)).map((entry) => entry.id)).toEqual([project.id]);
    expect(await store.deleteProject(alice.id, project.id)).toBe(true);
    expect(await store.listProjects(alice.id)).toEqual([]);
    const key = await store.secret("links");
    expect(key).toHaveLength(32);
    expect(await store.secret("links")).toEqual(key);
    await store.close();
  });

  it("makes project ids that are runtime slugs", () => {
    for (const name of ["Red cube", "  ", "ÜBER große Szene!!", "a".repeat(200), "--x--"]) {
      expect(projectIdFor(name)).toMatch(/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$/);
    }
  });
});
