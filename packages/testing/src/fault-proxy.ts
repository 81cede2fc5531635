// A real TCP proxy (node:net) in front of a real server, which makes the server look down, cut off
// or slow from the client's side without touching the server: pause holds every byte both ways,
// refuse resets the connections and refuses new ones, delay adds latency to each chunk.
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface FaultProxyTarget {
  host: string;
  port: number;
}

export interface FaultProxyOptions {
  /** The port to listen on at 127.0.0.1; default a free one. */
  port?: number;
}

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  /** Connections open through the proxy now. */
  readonly connections: number;
  /**
   * `url` with its host and port replaced by the proxy's: `postgres://user@HOST:PORT/db`,
   * `http://HOST:PORT`, and for an `s3://` location URL its `endpoint` parameter.
   */
  rewrite(url: string): string;
  /** Holds every byte both ways, on open connections and new ones, until resume(); a call in flight hangs. */
  pause(): void;
  /** Lets the held bytes through, in order, and forwards again. */
  resume(): void;
  /** Resets every open connection (RST) and closes the port, so new connections are refused at once. */
  refuse(): Promise<void>;
  /** Listens on the same port again after refuse(). */
  accept(): Promise<void>;
  /** Resets every open connection (RST) and keeps accepting new ones, as a dropped network path would. */
  reset(): void;
  /** Delays each chunk by `ms` milliseconds each way (0 forwards at once), for bytes that arrive from now on. */
  delay(ms: number): void;
  /** Resets every connection and stops listening for good. */
  close(): Promise<void>;
}

interface Relay {
  client: Socket;
  upstream: Socket;
  /** Delivers what is held once forwarding resumes. */
  flush(): void;
}

/**
 * Ends `socket` with a TCP reset, as a dropped connection would. A socket whose writing side is
 * already shut down (end() forwarded the peer's FIN) is closed plainly instead: a reset racing a
 * pending shutdown leaves Node's TCP handle open and the process spinning at exit.
 */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}

/** Starts a proxy on 127.0.0.1 that forwards to `target`; resolves once it listens. */
export async function createFaultProxy(target: FaultProxyTarget, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const host = "127.0.0.1";
  const relays = new Set<Relay>();
  let paused = false;
  let delayMs = 0;
  let closed = false;
  let server: Server | undefined;
  let port = options.port ?? 0;

  /** Forwards `from` to `to` in order, each chunk no earlier than its arrival plus the delay. */
  const forward = (from: Socket, to: Socket): (() => void) => {
    const queue: { chunk: Buffer; due: number }[] = [];
    let ended = false;
    let draining = false;
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (paused || to.destroyed) return;
      for (let head = queue[0]; head; head = queue[0]) {
        const wait = head.due - Date.now();
        if (wait > 0) {
          timer = setTimeout(pump, wait);
          return;
        }
        queue.shift();
        if (!to.write(head.chunk) && !draining) {
          // The receiver is slow: stop reading until it drains, as TCP would.
          draining = true;
          from.pause();
          to.once("drain", () => {
            draining = false;
            if (!paused) from.resume();
          });
        }
      }
      if (ended) to.end();
    };
    from.on("data", (chunk: Buffer) => {
      queue.push({ chunk, due: Date.now() + delayMs });
      pump();
    });
    from.on("end", () => {
      ended = true;
      pump();
    });
    return pump;
  };

  const onConnection = (client: Socket) => {
    if (closed) {
      reset(client);
      return;
    }
    const upstream = createConnection({ host: target.host, port: target.port, allowHalfOpen: true });
    const toUpstream = forward(client, upstream);
    const toClient = forward(upstream, client);
    if (paused) {
      client.pause();
      upstream.pause();
    }
    const relay: Relay = {
      client,
      upstream,
      flush() {
        toUpstream();
        toClient();
      },
    };
    relays.add(relay);
    // A failure on one side ends the other: an upstream that refuses or resets resets the client.
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => reset(client));
    const settle = () => {
      if (client.destroyed && upstream.destroyed) relays.delete(relay);
    };
    client.on("close", () => {
      if (!upstream.destroyed && !upstream.writableEnded) upstream.destroy();
      settle();
    });
    upstream.on("close", () => {
      if (!client.destroyed && !client.writableEnded) client.destroy();
      settle();
    });
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer({ allowHalfOpen: true, pauseOnConnect: false }, onConnection);
      next.once("error", reject);
      next.listen({ host, port }, () => {
        next.off("error", reject);
        const address = next.address();
        if (typeof address === "object" && address) port = address.port;
        server = next;
        resolve();
      });
    });

  const resetAll = () => {
    for (const relay of relays) {
      reset(relay.client);
      reset(relay.upstream);
    }
    relays.clear();
  };

  const stopListening = async () => {
    const current = server;
    server = undefined;
    if (!current) return;
    const done = new Promise<void>((resolve) => current.close(() => resolve()));
    resetAll();
    await done;
  };

  const rewrite = (text: string): string => {
    const url = new URL(text);
    if (url.protocol === "s3:") {
      const endpoint = url.searchParams.get("endpoint");
      if (!endpoint) throw new Error(`${text} has no endpoint parameter to send through the proxy.`);
      url.searchParams.set("endpoint", rewrite(endpoint));
      return url.toString();
    }
    url.hostname = host;
    url.port = String(port);
    const rewritten = url.toString();
    // new URL() adds "/" to a bare origin; keep an endpoint given without one as it was.
    return url.pathname === "/" && !url.search && !url.hash && !text.endsWith("/") ? rewritten.slice(0, -1) : rewritten;
  };

  await listen();
  return {
    host,
    get port() {
      return port;
    },
    get address() {
      return `${host}:${port}`;
    },
    get connections() {
      return relays.size;
    },
    rewrite,
    pause() {
      paused = true;
      for (const relay of relays) {
        relay.client.pause();
        relay.upstream.pause();
      }
    },
    resume() {
      paused = false;
      for (const relay of relays) {
        relay.flush();
        relay.client.resume();
        relay.upstream.resume();
      }
    },
    refuse: stopListening,
    async accept() {
      if (closed) throw new Error("The proxy is closed.");
      if (!server) await listen();
    },
    reset: resetAll,
    delay(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`delay takes milliseconds >= 0, not ${ms}.`);
      delayMs = ms;
    },
    async close() {
      closed = true;
      await stopListening();
    },
  };
}
