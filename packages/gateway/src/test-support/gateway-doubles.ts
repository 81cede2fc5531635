// Small, honest doubles of the agent and the runtime for the gateway's unit tests: a scripted turn
// that "renders" by storing a PNG in a real filesystem artifact store and keeps its conversation
// in the real SQLite State (a temp file), and a runtime whose state is set by hand. Two gateways
// given the same `statePath` are two replicas sharing one state.
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSqliteState, type State, type User } from "@bod/state";
import { type ArtifactStore, createFilesystemArtifactStore } from "@bod/storage";
import { createParser } from "eventsource-parser";
import { createLinkSigner } from "../auth/signed-links.ts";
import { createGatewayApp, type GatewayAppOptions } from "../http/gateway-app.ts";
import type { AgentEvent, InstanceView } from "../ports.ts";

export const PNG_BYTES = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f0a9e00000000049454e44ae426082",
  "hex",
);

/** The user's token: a new one for an existing user, else the user is created. */
async function signIn(state: State, name: string): Promise<{ user: User; token: string }> {
  const existing = await state.findUserByName(name);
  return existing ? { user: existing, token: await state.issueToken(existing.id) } : state.createUser(name);
}

/**
 * `artifactStore` is where the scripted turn stores its render and the app reads artifacts from
 * (an S3 store in the e2e tests); default a filesystem store in the gateway's temp folder.
 */
export async function createTestGateway(
  overrides: Partial<GatewayAppOptions> & { statePath?: string; artifactStore?: ArtifactStore } = {},
) {
  const { statePath, artifactStore: givenArtifactStore, ...appOverrides } = overrides;
  const folder = join(tmpdir(), `bod-gateway-${randomBytes(6).toString("hex")}`);
  mkdirSync(folder, { recursive: true });
  // The app and the scripted agent use the same State, as in `bod serve`: the one given, or SQLite.
  const ownState = appOverrides.state ? undefined : createSqliteState({ path: statePath ?? join(folder, "bod.sqlite") });
  const state = appOverrides.state ?? ownState!;
  const artifactStore =
    givenArtifactStore ?? createFilesystemArtifactStore({ directoryOf: (projectId) => join(folder, projectId, "artifacts") });
  const instances = new Map<string, InstanceView>();
  const released: string[] = [];
  const turns: Array<{ projectId: string; text: string }> = [];
  let turnGate: Promise<void> | undefined;

  const app = createGatewayApp({
    state,
    signer: createLinkSigner({ key: randomBytes(32) }),
    idleTimeoutMs: 60_000,
    instancePollMs: 10,
    agent: {
      async runTurn({ projectId, text, onEvent, signal }) {
        turns.push({ projectId, text });
        const emit = (event: AgentEvent) => onEvent?.(event);
        const turnId = `turn-${turns.length}`;
        emit({ type: "turn-start", turnId, projectId, text });
        emit({ type: "plan", turnId, step: 0, toolCalls: [{ id: "c1", name: "render_frame", arguments: {} }] });
        emit({ type: "tool-call-start", turnId, id: "c1", name: "render_frame", arguments: {} });
        instances.set(projectId, {
          state: "starting",
          since: new Date().toISOString(),
          lastActivity: new Date().toISOString(),
          inFlight: 1,
        });
        const aborted = new Promise<"aborted">((resolve) => signal?.addEventListener("abort", () => resolve("aborted"), { once: true }));
        if ((await Promise.race([turnGate, aborted])) === "aborted") {
          emit({ type: "turn-end", turnId, status: "cancelled", durationMs: 1 });
          return { turnId, status: "cancelled", reply: "Cancelled. Nothing in the scene was changed.", toolCalls: [], artifacts: [] };
        }
        await new Promise((resolve) => setTimeout(resolve, 40));
        instances.set(projectId, { state: "ready", since: new Date().toISOString(), lastActivity: new Date().toISOString(), inFlight: 0 });
        const { id: artifactId } = await artifactStore.put({
          projectId,
          kind: "render",
          extension: "png",
          mimeType: "image/png",
          body: PNG_BYTES,
        });
        const artifact = {
          kind: "render",
          mimeType: "image/png",
          url: `http://runtime/projects/${projectId}/artifacts/${artifactId}`,
          id: artifactId,
          toolCallId: "c1",
        };
        emit({ type: "progress", turnId, id: "c1", name: "render_frame", progress: 1, total: 1 });
        emit({
          type: "tool-call-end",
          turnId,
          id: "c1",
          name: "render_frame",
          durationMs: 40,
          isError: false,
          result: { artifact },
          artifacts: [artifact],
        });
        const reply = `Rendered: ${text}\nThe image: ${artifact.url}`;
        emit({ type: "reply", turnId, text: reply });
        emit({ type: "turn-end", turnId, status: "completed", durationMs: 40 });
        const toolCalls = [{ id: "c1", name: "render_frame", arguments: {}, result: { artifact }, durationMs: 40 }];
        await state.appendMessage({ projectId, turnId, role: "user", text, toolCalls: [], artifacts: [] });
        await state.appendMessage({ projectId, turnId, role: "assistant", text: reply, toolCalls, artifacts: [artifact] });
        return { turnId, status: "completed", reply, toolCalls, artifacts: [artifact] };
      },
    },
    runtime: {
      async instance(projectId) {
        return instances.get(projectId);
      },
      async release(projectId) {
        released.push(projectId);
        instances.delete(projectId);
        await artifactStore.deleteProject(projectId);
      },
    },
    artifacts: artifactStore,
    ...appOverrides,
  });

  const alice = await signIn(state, "alice");
  const bob = await signIn(state, "bob");
  const request = (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set("authorization", `Bearer ${init.token}`);
    if (typeof init.body === "string" && !headers.has("content-type")) headers.set("content-type", "application/json");
    return app.request(`http://127.0.0.1:7800${path}`, { ...init, headers });
  };
  return {
    app,
    state,
    request,
    alice: alice.token,
    bob: bob.token,
    released,
    turns,
    artifactStore,
    instances,
    /** Holds every turn at its first tool call until the returned function is called. */
    holdTurns() {
      let release!: () => void;
      turnGate = new Promise((resolve) => {
        release = resolve;
      });
      return () => {
        release();
        turnGate = undefined;
      };
    },
    async close() {
      await ownState?.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Parses a whole SSE body into its named events (eventsource-parser, as the clients read them). */
export function parseSse(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  const events: Array<{ event: string; data: Record<string, unknown> }> = [];
  const parser = createParser({
    onEvent: ({ event, data }) => {
      if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
    },
  });
  parser.feed(text);
  return events;
}
