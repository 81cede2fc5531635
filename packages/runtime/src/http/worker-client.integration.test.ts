// The proxy's client for workers against real sockets: node:http servers like the worker, and
// raw servers for the byte-level cases (split reads, a connection cut short, an answer that is not HTTP).

import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { WorkerEndpoint } from "../runtime.ts";
import { createWorkerClient, type Exchange, type WorkerClient, type WorkerRequest, type WorkerResponseHead } from "./worker-client.ts";

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function listen<T extends Server | NetServer>(server: T, path?: string): Promise<WorkerEndpoint> {
  closers.push(() => {
    if ("closeAllConnections" in server) server.closeAllConnections();
    server.close();
  });
  if (path) {
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return { socketPath: path };
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { host: "127.0.0.1", port: (server.address() as { port: number }).port };
}

function newClient(): WorkerClient {
  const client = createWorkerClient();
  closers.push(() => client.close());
  return client;
}

/** A raw server that answers every request on a connection with `answer`. */
function rawServer(answer: (socket: Socket, request: string) => void): NetServer {
  return createNetServer((socket) => {
    let pending = "";
    socket.on("data", (data) => {
      pending += data.toString("latin1");
      const end = pending.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(pending)?.[1] ?? 0);
      if (pending.length < end + 4 + length) return;
      const request = pending.slice(0, end + 4 + length);
      pending = pending.slice(end + 4 + length);
      answer(socket, request);
    });
  });
}

interface Outcome {
  head: WorkerResponseHead | undefined;
  body: string;
  pieces: number;
  error: NodeJS.ErrnoException | undefined;
  responded: boolean | undefined;
}

function exchange(client: WorkerClient, endpoint: WorkerEndpoint, request: Partial<WorkerRequest> = {}, keep = true): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { head: undefined, body: "", pieces: 0, error: undefined, responded: undefined };
    client.send(
      endpoint,
      { method: "POST", path: "/mcp", headers: [], body: Buffer.from("{}"), ...request },
      {
        onHead(head) {
          outcome.head = head;
          if (!keep) resolve(outcome);
          return keep;
        },
        onBody(chunk) {
          outcome.body += chunk.toString();
          outcome.pieces++;
        },
        onEnd(last) {
          if (last) {
            outcome.body += last.toString();
            outcome.pieces++;
          }
          resolve(outcome);
        },
        onError(error, responded) {
          outcome.error = error;
          outcome.responded = responded;
          resolve(outcome);
        },
      },
    );
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("worker client", () => {
  it("sends the request as given and reuses one connection for consecutive requests", async () => {
    const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];
    const connections = new Set<unknown>();
    const server = createServer((req, res) => {
      connections.add(req.socket);
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.writeHead(200, { "content-type": "application/json", "x-worker": "yes" });
        res.end('{"ok":true}');
      });
    });
    const endpoint = await listen(server);
    const client = newClient();
    for (let i = 0; i < 3; i++) {
      const outcome = await exchange(client, endpoint, {
        path: "/mcp?x=1",
        headers: ["Content-Type", "application/json", "mcp-protocol-version", "2025-11-25"],
        body: Buffer.from(`{"n":${i}}`),
      });
      expect(outcome.error).toBeUndefined();
      expect(outcome.head?.statusCode).toBe(200);
      expect(outcome.body).toBe('{"ok":true}');
      const names = outcome.head!.headers.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
      expect(names).toContain("x-worker");
      expect(names).not.toContain("connection");
      expect(names).not.toContain("keep-alive");
      // The next request comes once this one's answer has gone on, as in the proxy.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(connections.size).toBe(1);
    expect(seen[2]).toMatchObject({ method: "POST", url: "/mcp?x=1", body: '{"n":2}' });
    expect(seen[2]!.headers).toMatchObject({
      host: `127.0.0.1:${(endpoint as { port: number }).port}`,
      "content-type": "application/json",
      "mcp-protocol-version": "2025-11-25",
      "content-length": "7",
    });
    const get = await exchange(client, endpoint, { method: "GET", body: Buffer.alloc(0) });
    expect(get.head?.statusCode).toBe(200);
    expect(seen[3]!.headers["content-length"]).toBeUndefined();
  });

  it("hands on each chunk of a chunked response as it arrives", async () => {
    let next: () => void = () => {};
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("event: message\ndata: first\n\n");
      next = () => res.end("event: message\ndata: last\n\n");
    });
    const endpoint = await listen(server);
    const client = newClient();
    const pieces: string[] = [];
    const done = new Promise<void>((resolve, reject) =>
      client.send(
        endpoint,
        { method: "POST", path: "/mcp", headers: [], body: Buffer.from("{}") },
        {
          onHead: () => true,
          onBody(chunk) {
            pieces.push(chunk.toString());
            if (pieces.length === 1) next();
          },
          onEnd(last) {
            if (last) pieces.push(last.toString());
            resolve();
          },
          onError: reject,
        },
      ),
    );
    await done;
    expect(pieces).toEqual(["event: message\ndata: first\n\n", "event: message\ndata: last\n\n"]);
  });

  it("parses heads, chunk sizes and trailers that arrive split across reads", async () => {
    const response = [
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n",
      "5;ext=1\r\nhello\r\n",
      "6\r\n world\r\n",
      "0\r\nX-Trailer: t\r\n\r\n",
    ].join("");
    const endpoint = await listen(
      rawServer(async (socket) => {
        socket.setNoDelay(true);
        for (const byte of response) {
          socket.write(byte);
          await sleep(0);
        }
      }),
    );
    const client = newClient();
    const first = await exchange(client, endpoint);
    expect(first.error).toBeUndefined();
    expect(first.body).toBe("hello world");
    expect(first.pieces).toBeGreaterThan(1);
    const second = await exchange(client, endpoint);
    expect(second.body).toBe("hello world");
  });

  it("reads a discarded body to its end and reuses the connection", async () => {
    const connections = new Set<unknown>();
    let calls = 0;
    const server = createServer((req, res) => {
      connections.add(req.socket);
      req.resume();
      if (calls++ === 0) {
        res.writeHead(503, { "retry-after": "1", "content-type": "application/json" });
        res.end('{"error":"draining"}');
      } else res.end("served");
    });
    const endpoint = await listen(server);
    const client = newClient();
    const refused = await exchange(client, endpoint, {}, false);
    expect(refused.head).toMatchObject({ statusCode: 503, retryAfter: "1" });
    await sleep(20);
    const served = await exchange(client, endpoint);
    expect(served.body).toBe("served");
    expect(connections.size).toBe(1);
  });

  it("reports a worker that is gone before it answered, and one that vanished mid-response", async () => {
    const closed = createNetServer();
    const deadEndpoint = await listen(closed);
    closed.close();
    const refused = await exchange(newClient(), deadEndpoint);
    expect(refused.error?.code).toBe("ECONNREFUSED");
    expect(refused.responded).toBe(false);

    const endpoint = await listen(
      rawServer((socket) => {
        socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart of it");
      }),
    );
    const cut = await exchange(newClient(), endpoint);
    expect(cut.head?.statusCode).toBe(200);
    expect(cut.error?.code).toBe("ECONNRESET");
    expect(cut.responded).toBe(true);

    const socketPath = join(await mkdtemp(join(tmpdir(), "bod-worker-client-")), "gone.sock");
    closers.push(() => void rm(socketPath, { force: true }));
    const noSocket = await exchange(newClient(), { socketPath });
    expect(noSocket.error?.code).toBe("ENOENT");
  });

  it("fails an exchange whose answer is not HTTP, without handing any of it on", async () => {
    const endpoint = await listen(rawServer((socket) => socket.write("SSH-2.0-OpenSSH\r\n\r\n")));
    const outcome = await exchange(newClient(), endpoint);
    expect(outcome.error).toBeDefined();
    expect(outcome.head).toBeUndefined();
  });

  it("talks to a worker on a Unix socket", async () => {
    const folder = await mkdtemp(join(tmpdir(), "bod-worker-client-"));
    closers.push(() => void rm(folder, { recursive: true, force: true }));
    const endpoint = await listen(
      createServer((_req, res) => res.end("over the socket")),
      join(folder, "worker.sock"),
    );
    const client = newClient();
    expect((await exchange(client, endpoint)).body).toBe("over the socket");
    expect((await exchange(client, endpoint, { method: "HEAD", body: Buffer.alloc(0) })).body).toBe("");
  });

  it("stops reading while paused", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("one");
      setTimeout(() => res.end("two"), 30);
    });
    const endpoint = await listen(server);
    const client = newClient();
    const pieces: string[] = [];
    let ended = false;
    const exchangeInProgress = client.send(
      endpoint,
      { method: "POST", path: "/mcp", headers: [], body: Buffer.from("{}") },
      {
        onHead: () => true,
        onBody(chunk) {
          pieces.push(chunk.toString());
          if (pieces.length === 1) exchangeInProgress.pause();
        },
        onEnd(last) {
          if (last) pieces.push(last.toString());
          ended = true;
        },
        onError: () => {},
      },
    );
    await sleep(100);
    expect(pieces).toEqual(["one"]);
    expect(ended).toBe(false);
    exchangeInProgress.resume();
    await sleep(50);
    expect(pieces).toEqual(["one", "two"]);
    expect(ended).toBe(true);
  });

  it("gives up an idle connection before the worker's keep-alive timeout would close it", async () => {
    const connections = new Set<unknown>();
    const server = createServer((req, res) => {
      connections.add(req.socket);
      res.end("ok");
    });
    server.keepAliveTimeout = 2000; // announced as timeout=2: kept for 1 s here
    const endpoint = await listen(server);
    const client = newClient();
    await exchange(client, endpoint);
    await sleep(300);
    await exchange(client, endpoint);
    expect(connections.size).toBe(1);
    await sleep(1100);
    const later = await exchange(client, endpoint);
    expect(later.body).toBe("ok");
    expect(connections.size).toBe(2);
  });

  it("keeps a connection that finished its exchange paused usable, and ignores a finished exchange's late calls", async () => {
    let delay = 0;
    const endpoint = await listen(
      rawServer((socket) => {
        const answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n";
        setTimeout(() => socket.write(answer), delay);
      }),
    );
    const client = newClient();
    const pieces: string[] = [];
    const first = await new Promise<Exchange>((resolve) => {
      const handle = client.send(
        endpoint,
        { method: "POST", path: "/mcp", headers: [], body: Buffer.from("{}") },
        {
          onHead: () => true,
          onBody(chunk) {
            pieces.push(chunk.toString());
            handle.pause(); // the client is slow, and the whole response is already here
          },
          onEnd(last) {
            pieces.push(last!.toString());
            resolve(handle);
          },
          onError: () => {},
        },
      );
    });
    expect(pieces).toEqual(["one", "two"]);
    delay = 50;
    const second = exchange(client, endpoint);
    first.abort();
    first.resume();
    expect((await second).body).toBe("onetwo");
    expect((await second).error).toBeUndefined();
  });
});
