// The State contract: one suite that every implementation passes unchanged. Each test opens TWO
// instances on the same backing store, as two gateway replicas would, so everything that must be
// shared (users, turn locks, cancels, rate limits, secrets) is checked across them.
import { PROJECT_ID_PATTERN } from "@bod/contracts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserExistsError } from "./errors/user-exists-error.ts";
import { emptyContext, type State, type TurnLease } from "./state.ts";

/** One backing store (a database file, a PostgreSQL database) that State instances open. */
export interface StateBacking {
  /** Opens another State instance on this store. */
  open(): Promise<State>;
  /** Everything the store holds, as text, to check what is (not) kept in it. */
  dump(): Promise<string>;
  /** Removes the store; every instance is closed by then. */
  drop(): Promise<void>;
}

const TOKEN_PATTERN = /^bod_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;

/** Resolves once `signal` aborts, or rejects after `ms` milliseconds. */
function abortedWithin(signal: AbortSignal, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve(signal.reason);
    const timer = setTimeout(() => reject(new Error(`not cancelled within ${ms} ms`)), ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve(signal.reason);
      },
      { once: true },
    );
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Registers the contract suite for the implementation `name`; `createBacking` makes a fresh, empty store. */
export function describeStateContract(name: string, createBacking: () => Promise<StateBacking>): void {
  describe(`State contract: ${name}`, () => {
    let backing: StateBacking;
    let opened: State[];
    /** Two instances on the same store: two replicas. */
    let a: State;
    let b: State;

    const open = async () => {
      const state = await backing.open();
      opened.push(state);
      return state;
    };

    beforeEach(async () => {
      backing = await createBacking();
      opened = [];
      a = await open();
      b = await open();
    });

    afterEach(async () => {
      for (const state of opened) await state.close();
      await backing.drop();
    });

    describe("users and tokens", () => {
      it("keeps only the hash of a token, and finds its user by it on every instance", async () => {
        const { user, token } = await a.createUser("alice");
        expect(token).toMatch(TOKEN_PATTERN);
        expect(user).toMatchObject({ name: "alice" });
        expect(Number.isNaN(Date.parse(user.createdAt))).toBe(false);
        expect(await a.authenticate(token)).toEqual(user);
        expect(await b.authenticate(token)).toEqual(user);
        // The secret is everything after `bod_<16 hex>_` (base64url, which may itself hold "_").
        const secret = token.slice("bod_".length + 16 + 1);
        expect(secret).toHaveLength(43);
        expect(await backing.dump()).not.toContain(secret);
        expect(await backing.dump()).toContain("alice");
      });

      it("refuses wrong, altered and malformed tokens", async () => {
        const { token } = await a.createUser("alice");
        const altered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
        expect(await b.authenticate(altered)).toBeUndefined();
        expect(await b.authenticate(`bod_${"0".repeat(16)}_${token.slice("bod_".length + 16 + 1)}`)).toBeUndefined();
        for (const garbage of ["", "bod_", "Bearer x", token.toUpperCase(), `${token} `])
          expect(await b.authenticate(garbage)).toBeUndefined();
      });

      it("issues more tokens for a user, each signing in on its own", async () => {
        const { user, token } = await a.createUser("alice");
        const second = await b.issueToken(user.id);
        expect(second).toMatch(TOKEN_PATTERN);
        expect(second).not.toBe(token);
        expect((await a.authenticate(second))?.id).toBe(user.id);
        expect((await a.authenticate(token))?.id).toBe(user.id);
        expect(await a.findUserByName("alice")).toEqual(user);
        expect(await b.findUserByName("nobody")).toBeUndefined();
      });

      it("refuses a taken name, also when two instances create it at once", async () => {
        await a.createUser("alice");
        await expect(b.createUser("alice")).rejects.toBeInstanceOf(UserExistsError);
        const results = await Promise.allSettled([a.createUser("bob"), b.createUser("bob"), a.createUser("bob"), b.createUser("bob")]);
        expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
        for (const result of results) if (result.status === "rejected") expect(result.reason).toBeInstanceOf(UserExistsError);
        expect((await a.findUserByName("bob"))?.name).toBe("bob");
      });
    });

    describe("projects", () => {
      it("scopes projects to their owner: another user's project does not exist for them", async () => {
        const alice = (await a.createUser("alice")).user;
        const bob = (await a.createUser("bob")).user;
        const project = await a.createProject(alice.id, "Red cube");
        expect(project).toMatchObject({ ownerId: alice.id, name: "Red cube" });
        expect(project.id).toMatch(PROJECT_ID_PATTERN);
        expect(project.id.startsWith("red-cube-")).toBe(true);
        expect(await b.getProject(alice.id, project.id)).toEqual(project);
        expect(await b.getProject(bob.id, project.id)).toBeUndefined();
        expect(await b.listProjects(bob.id)).toEqual([]);
        expect(await b.listProjects(alice.id)).toEqual([project]);
      });

      it("lists a user's projects newest first", async () => {
        const alice = (await a.createUser("alice")).user;
        const first = await a.createProject(alice.id, "first");
        await sleep(5);
        const second = await b.createProject(alice.id, "second");
        await sleep(5);
        const third = await a.createProject(alice.id, "third");
        expect((await b.listProjects(alice.id)).map((project) => project.id)).toEqual([third.id, second.id, first.id]);
      });

      it("creates projects concurrently on two instances, each with its own id", async () => {
        const alice = (await a.createUser("alice")).user;
        const created = await Promise.all(
          Array.from({ length: 24 }, (_, index) => (index % 2 ? a : b).createProject(alice.id, `Scene ${index % 3}`)),
        );
        expect(new Set(created.map((project) => project.id)).size).toBe(24);
        expect(await a.listProjects(alice.id)).toHaveLength(24);
      });

      it("makes project ids that are runtime slugs, whatever the name", async () => {
        const alice = (await a.createUser("alice")).user;
        for (const name of ["  ", "ÜBER große Szene!!", "a".repeat(200), "--x--", "日本語"])
          expect((await a.createProject(alice.id, name)).id).toMatch(PROJECT_ID_PATTERN);
      });
    });

    describe("conversations and context", () => {
      it("keeps each project's messages in order, with tool calls and artifacts, and pages back", async () => {
        await a.appendMessage({ projectId: "p1", turnId: "t1", role: "user", text: "add a cube", toolCalls: [], artifacts: [] });
        const reply = await b.appendMessage({
          projectId: "p1",
          turnId: "t1",
          role: "assistant",
          text: "Added.",
          toolCalls: [
            {
              id: "c1",
              name: "add_object",
              arguments: { type: "cube", name: "Cube" },
              result: { object: { name: "Cube" } },
              durationMs: 12,
            },
          ],
          artifacts: [{ kind: "render", mimeType: "image/png", url: "http://x/a.png", toolCallId: "c1" }],
        });
        expect(reply.id).toBeTypeOf("number");
        expect(reply.projectId).toBe("p1");
        await a.appendMessage({ projectId: "p2", turnId: "t2", role: "user", text: "other project", toolCalls: [], artifacts: [] });
        const messages = await a.listMessages("p1");
        expect(messages.map((message) => [message.role, message.text, message.turnId])).toEqual([
          ["user", "add a cube", "t1"],
          ["assistant", "Added.", "t1"],
        ]);
        expect(messages[1]).toEqual(reply);
        expect(Object.keys(messages[1]!.toolCalls[0]!.arguments as object)).toEqual(["type", "name"]);
        expect(messages[1]!.toolCalls[0]!.result).toEqual({ object: { name: "Cube" } });
        expect(messages[1]!.artifacts[0]!.url).toBe("http://x/a.png");
        expect((await b.listMessages("p1", { limit: 1 })).map((message) => message.text)).toEqual(["Added."]);
        expect((await b.listMessages("p1", { beforeId: reply.id })).map((message) => message.text)).toEqual(["add a cube"]);
        expect(await b.listMessages("p1", { beforeId: messages[0]!.id })).toEqual([]);
        expect(await b.listMessages("nothing")).toEqual([]);
      });

      it("pages through a long conversation without gaps or repeats", async () => {
        for (let index = 0; index < 25; index++)
          await (index % 2 ? a : b).appendMessage({
            projectId: "p",
            turnId: `t${index}`,
            role: "user",
            text: `m${index}`,
            toolCalls: [],
            artifacts: [],
          });
        const seen: string[] = [];
        let page = await a.listMessages("p", { limit: 10 });
        while (page.length > 0) {
          seen.unshift(...page.map((message) => message.text));
          page = await a.listMessages("p", { limit: 10, beforeId: page[0]!.id });
        }
        expect(seen).toEqual(Array.from({ length: 25 }, (_, index) => `m${index}`));
      });

      it("keeps a message's given time", async () => {
        const message = await a.appendMessage({
          projectId: "p",
          turnId: "t",
          role: "user",
          text: "hi",
          toolCalls: [],
          artifacts: [],
          createdAt: "2026-01-02T03:04:05.678Z",
        });
        expect(message.createdAt).toBe("2026-01-02T03:04:05.678Z");
        expect((await b.listMessages("p"))[0]!.createdAt).toBe("2026-01-02T03:04:05.678Z");
      });

      it("round-trips the project context, keeping the newest 100 artifacts", async () => {
        expect(await a.getContext("p")).toEqual(emptyContext());
        const artifacts = Array.from({ length: 120 }, (_, index) => ({
          kind: "render",
          mimeType: "image/png",
          url: `http://x/${index}.png`,
        }));
        await a.saveContext("p", {
          focus: ["Cube"],
          artifacts,
          settings: { reasoner: "planner" },
          sceneSeenAt: "2026-01-01T00:00:00.000Z",
        });
        const context = await b.getContext("p");
        expect(context.focus).toEqual(["Cube"]);
        expect(context.artifacts).toHaveLength(100);
        expect(context.artifacts[0]!.url).toBe("http://x/20.png");
        expect(context.artifacts[99]!.url).toBe("http://x/119.png");
        expect(context.settings).toEqual({ reasoner: "planner" });
        expect(context.sceneSeenAt).toBe("2026-01-01T00:00:00.000Z");
        await b.saveContext("p", { ...emptyContext(), focus: ["Sphere"] });
        expect((await a.getContext("p")).focus).toEqual(["Sphere"]);
        expect(await a.getContext("other")).toEqual(emptyContext());
      });

      it("keeps everything when an instance is closed and another opened", async () => {
        const { user, token } = await a.createUser("alice");
        const project = await a.createProject(user.id, "Scene");
        await a.appendMessage({ projectId: project.id, turnId: "t", role: "user", text: "hi", toolCalls: [], artifacts: [] });
        await a.saveContext(project.id, { ...emptyContext(), focus: ["Cube"] });
        await a.close();
        const reopened = await open();
        expect((await reopened.authenticate(token))?.id).toBe(user.id);
        expect(await reopened.listProjects(user.id)).toEqual([project]);
        expect((await reopened.listMessages(project.id)).map((message) => message.text)).toEqual(["hi"]);
        expect((await reopened.getContext(project.id)).focus).toEqual(["Cube"]);
      });
    });

    describe("deleting a project", () => {
      it("removes the project, its conversation and its context, and nothing else", async () => {
        const alice = (await a.createUser("alice")).user;
        const gone = await a.createProject(alice.id, "gone");
        const kept = await a.createProject(alice.id, "kept");
        for (const project of [gone, kept]) {
          await a.appendMessage({ projectId: project.id, turnId: "t", role: "user", text: "hi", toolCalls: [], artifacts: [] });
          await a.saveContext(project.id, { ...emptyContext(), focus: ["X"] });
        }
        expect(await b.deleteProject(gone.id)).toBe(true);
        for (const state of [a, b]) {
          expect(await state.getProject(alice.id, gone.id)).toBeUndefined();
          expect(await state.listMessages(gone.id)).toEqual([]);
          expect(await state.getContext(gone.id)).toEqual(emptyContext());
          expect(await state.listProjects(alice.id)).toEqual([kept]);
          expect(await state.listMessages(kept.id)).toHaveLength(1);
          expect((await state.getContext(kept.id)).focus).toEqual(["X"]);
        }
        expect(await b.deleteProject(gone.id)).toBe(false);
        expect(await backing.dump()).not.toContain(gone.id);
      });

      it("forgets the conversation of a project id that has no project record", async () => {
        await a.appendMessage({ projectId: "loose", turnId: "t", role: "user", text: "hi", toolCalls: [], artifacts: [] });
        expect(await b.deleteProject("loose")).toBe(false);
        expect(await a.listMessages("loose")).toEqual([]);
      });

      it("cancels the project's running turn on the other instance and waits for it, so its last writes go too", async () => {
        const alice = (await a.createUser("alice")).user;
        const project = await a.createProject(alice.id, "busy");
        const lease = (await a.tryAcquireTurn(project.id, { holder: "replica a" }))!;
        expect(lease).toBeDefined();
        // The turn on `a` writes its reply once cancelled, then gives the lock back.
        const turn = abortedWithin(lease.cancelled, 2000).then(async (reason) => {
          await sleep(50);
          await a.appendMessage({
            projectId: project.id,
            turnId: "t",
            role: "assistant",
            text: "Cancelled.",
            toolCalls: [],
            artifacts: [],
          });
          await lease.release();
          return reason;
        });
        expect(await b.deleteProject(project.id)).toBe(true);
        expect(((await turn) as Error).message).toMatch(/deleted/);
        expect(await a.listMessages(project.id)).toEqual([]);
        expect(await b.getProject(alice.id, project.id)).toBeUndefined();
      });
    });

    describe("secrets", () => {
      it("makes a 32-byte secret once and hands the same one to every instance", async () => {
        const [fromA, fromB] = await Promise.all([a.secret("links"), b.secret("links")]);
        expect(fromA).toBeInstanceOf(Uint8Array);
        expect(fromA).toHaveLength(32);
        expect(fromB).toEqual(fromA);
        expect(await b.secret("links")).toEqual(fromA);
        expect(await a.secret("other")).not.toEqual(fromA);
      });
    });

    describe("turn lock", () => {
      it("lets one instance hold a project's turn, and the other (or itself) not", async () => {
        const lease = await a.tryAcquireTurn("p", { holder: "replica a" });
        expect(lease).toMatchObject({ projectId: "p", holder: "replica a" });
        expect(lease!.cancelled.aborted).toBe(false);
        expect(await b.tryAcquireTurn("p", { holder: "replica b" })).toBeUndefined();
        expect(await a.tryAcquireTurn("p", { holder: "replica a again" })).toBeUndefined();
        const other = await b.tryAcquireTurn("q", { holder: "replica b" });
        expect(other).toBeDefined();
        await lease!.release();
        await other!.release();
      });

      it("gives the lock to the other instance once released, and back", async () => {
        const first = (await a.tryAcquireTurn("p", { holder: "a" }))!;
        await first.release();
        await first.release();
        const second = await b.tryAcquireTurn("p", { holder: "b" });
        expect(second).toBeDefined();
        expect(await a.tryAcquireTurn("p", { holder: "a" })).toBeUndefined();
        await second!.release();
        const third = await a.tryAcquireTurn("p", { holder: "a" });
        expect(third).toBeDefined();
        expect(first.cancelled.aborted).toBe(false);
        await third!.release();
      });

      it("grants exactly one lease when both instances race for it", async () => {
        const attempts = await Promise.all(
          Array.from({ length: 12 }, (_, index) => (index % 2 ? a : b).tryAcquireTurn("p", { holder: `attempt ${index}` })),
        );
        const granted = attempts.filter((lease) => lease !== undefined);
        expect(granted).toHaveLength(1);
        await granted[0]!.release();
        expect(await b.tryAcquireTurn("p", { holder: "after" })).toBeDefined();
      });

      it("carries a cancel from the other instance to the holder within a second", async () => {
        const lease = (await a.tryAcquireTurn("p", { holder: "a" }))!;
        const startedAt = Date.now();
        expect(await b.requestCancel("p", "Cancelled by the user.")).toBe(true);
        const reason = await abortedWithin(lease.cancelled, 1000);
        expect(Date.now() - startedAt).toBeLessThan(1000);
        expect(reason).toBeInstanceOf(Error);
        expect((reason as Error).message).toBe("Cancelled by the user.");
        // Cancelled, the turn still holds the lock until it stops.
        expect(await b.tryAcquireTurn("p", { holder: "b" })).toBeUndefined();
        await lease.release();
        expect(await b.requestCancel("p")).toBe(false);
        const next = (await b.tryAcquireTurn("p", { holder: "b" }))!;
        expect(next.cancelled.aborted).toBe(false);
        await next.release();
      });

      it("says when there is no turn to cancel, and cancels only the project asked", async () => {
        expect(await a.requestCancel("p")).toBe(false);
        const p = (await a.tryAcquireTurn("p", { holder: "a" }))!;
        const q = (await b.tryAcquireTurn("q", { holder: "b" }))!;
        expect(await a.requestCancel("q")).toBe(true);
        await abortedWithin(q.cancelled, 1000);
        await sleep(50);
        expect(p.cancelled.aborted).toBe(false);
        await p.release();
        await q.release();
      });

      it("releases an instance's leases when it closes, aborting its turns", async () => {
        const lease = (await a.tryAcquireTurn("p", { holder: "a" }))!;
        await a.close();
        expect(lease.cancelled.aborted).toBe(true);
        await lease.release();
        const taken = await b.tryAcquireTurn("p", { holder: "b" });
        expect(taken).toBeDefined();
        await taken!.release();
      });

      it("refuses a holder it cannot record", async () => {
        await expect(a.tryAcquireTurn("p", { holder: "" })).rejects.toThrow(/holder/);
        await expect(a.tryAcquireTurn("p", { holder: "x".repeat(201) })).rejects.toThrow(/holder/);
      });
    });

    describe("rate limits", () => {
      it("shares one bucket per key across instances", async () => {
        const limit = { capacity: 3, refillPerSecond: 0.01 };
        expect(await a.takeRateLimit("messages:alice", limit)).toBe(0);
        expect(await b.takeRateLimit("messages:alice", limit)).toBe(0);
        expect(await a.takeRateLimit("messages:alice", limit)).toBe(0);
        const wait = await b.takeRateLimit("messages:alice", limit);
        expect(wait).toBeGreaterThanOrEqual(90);
        expect(wait).toBeLessThanOrEqual(100);
        expect(await a.takeRateLimit("messages:alice", limit)).toBeGreaterThan(0);
        expect(await b.takeRateLimit("messages:bob", limit)).toBe(0);
      });

      it("lets exactly the burst through when both instances take at once", async () => {
        const limit = { capacity: 5, refillPerSecond: 0.001 };
        const waits = await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 ? a : b).takeRateLimit("burst", limit)));
        expect(waits.filter((wait) => wait === 0)).toHaveLength(5);
      });

      it("refills over time", async () => {
        const limit = { capacity: 1, refillPerSecond: 10 };
        expect(await a.takeRateLimit("k", limit)).toBe(0);
        expect(await b.takeRateLimit("k", limit)).toBe(1);
        await sleep(150);
        expect(await b.takeRateLimit("k", limit)).toBe(0);
      });

      it("refuses limits and keys it cannot honour, saying what is allowed", async () => {
        await expect(a.takeRateLimit("k", { capacity: 0, refillPerSecond: 1 })).rejects.toThrow(/capacity/);
        await expect(a.takeRateLimit("k", { capacity: 1.5, refillPerSecond: 1 })).rejects.toThrow(/whole number/);
        await expect(a.takeRateLimit("k", { capacity: 1, refillPerSecond: 0 })).rejects.toThrow(/refillPerSecond/);
        await expect(a.takeRateLimit("", { capacity: 1, refillPerSecond: 1 })).rejects.toThrow(/key/);
      });
    });
  });
}

export type { State, TurnLease };
