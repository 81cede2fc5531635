// The proxy's retry after a worker took a request and died with it (the connection reset before any
// answer left for the client), over real sockets with stand-in workers: reads and keyed changes go
// to the next worker once the first has exited, a keyed change whose worker does not exit and a
// change without a key are answered 502, and nothing is sent again before the exit.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { RouteLease, Runtime } from "../runtime.ts";
import { createWorkerProxy } from "./proxy.ts";

const EXIT_WAIT_MS = 1_000;
const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** A worker that reads each request and then drops the connection without answering, as one killed mid-call does. */
async function dyingWorker(received: string[]): Promise<number> {
  return listen(
    createServer(async (req) => {
      received.push(await bodyOf(req));
      req.socket.destroy();
    }),
  );
}

async function healthyWorker(received: string[]): Promise<number> {
  return listen(
    createServer(async (req, res) => {
      received.push(await bodyOf(req));
      res.setHeader("content-type", "application/json");
      res.end('{"jsonrpc":"2.0","id":1,"result":{"content":[]}}');
    }),
  );
}

/** A runtime whose first lease goes to `first` and whose later ones go to `next`; the first worker "exits" when told. */
async function setup(first: number, next: number) {
  let exit!: () => void;
  const exited = new Promise<void>((resolve) => {
    exit = resolve;
  });
  const events: string[] = [];
  let routes = 0;
  const route: Runtime["route"] = async () => {
    const port = routes++ === 0 ? first : next;
    events.push(`route ${port === first ? "first" : "next"}`);
    const lease: RouteLease = {
      projectId: "p",
      endpoint: { host: "127.0.0.1", port },
      coldStart: false,
      release: () => {},
      reportUnavailable: (how) => events.push(`report ${how}`),
      exited: () => exited,
    };
    return lease;
  };
  const runtime: Runtime = { route, start: async () => ({ host: "x", port: 1 }), drain: async () => {}, list: async () => [] };
  const { proxy, client } = createWorkerProxy({ runtime, workerExitWaitMs: EXIT_WAIT_MS });
  const port = await listen(createServer((req, res) => void proxy(req, res, "p", "/mcp")));
  servers.at(-1)?.on("close", () => client.close());
  const post = (message: unknown) =>
    fetch(`http://127.0.0.1:${port}/projects/p/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(message),
    });
  return { post, events, exit };
}

const toolCall = (name: string, key?: string) => ({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name, arguments: { type: "cube" }, ...(key ? { _meta: { "bod/idempotencyKey": key } } : {}) },
});

describe("the proxy after a worker died with the request", () => {
  it("sends a keyed change to the next worker only once the first has exited", async () => {
    const atFirst: string[] = [];
    const atNext: string[] = [];
    const { post, events, exit } = await setup(await dyingWorker(atFirst), await healthyWorker(atNext));
    const answer = post(toolCall("add_object", "k-1"));
    await expect.poll(() => events).toEqual(["route first", "report unreachable"]);
    // Held while the first worker may still be running it.
    await new Promise((resolve) => setTimeout(resolve, EXIT_WAIT_MS / 2));
    expect(atNext).toEqual([]);
    exit();
    const response = await answer;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ result: { content: [] } });
    expect(events).toEqual(["route first", "report unreachable", "route next"]);
    expect(atFirst).toHaveLength(1);
    expect(atNext).toEqual(atFirst);
  });

  it("sends a read again, a read-only tool's call too", async () => {
    for (const message of [toolCall("get_scene"), { jsonrpc: "2.0", id: 1, method: "tools/list" }]) {
      const atNext: string[] = [];
      const { post, exit } = await setup(await dyingWorker([]), await healthyWorker(atNext));
      exit();
      const response = await post(message);
      expect(response.status).toBe(200);
      expect(atNext).toHaveLength(1);
    }
  });

  it("answers 502 for a change without a key, whose outcome it cannot know, and sends it nowhere else", async () => {
    const atNext: string[] = [];
    const { post, events, exit } = await setup(await dyingWorker([]), await healthyWorker(atNext));
    exit();
    const response = await post(toolCall("add_object"));
    expect(response.status).toBe(502);
    expect(((await response.json()) as { code: string }).code).toBe("worker_unreachable");
    expect(atNext).toEqual([]);
    expect(events).toEqual(["route first"]);
  });

  it("answers 502 for a keyed change whose worker does not exit in time", async () => {
    const atNext: string[] = [];
    const { post } = await setup(await dyingWorker([]), await healthyWorker(atNext));
    const startedAt = Date.now();
    const response = await post(toolCall("add_object", "k-2"));
    expect(response.status).toBe(502);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(EXIT_WAIT_MS - 50);
    expect(atNext).toEqual([]);
  });
});
