// Loaded with `node --import` inside a worker's sandbox, where the network namespace is private
// and the runtime cannot reach the worker's loopback port. When the worker announces its port
// ("listening" on the control channel), this opens a Unix socket at BOD_RELAY_SOCKET (a file in
// the worker's own folder, reachable from outside) and relays each connection to that port.
// Control messages are held back, in order, until the socket accepts connections.
import { rmSync } from "node:fs";
import { connect, createServer } from "node:net";

const socketPath = process.env.BOD_RELAY_SOCKET;
const originalSend = process.send?.bind(process) as ((...args: unknown[]) => boolean) | undefined;

if (socketPath && originalSend) {
  let held: unknown[][] | undefined;
  process.send = ((...args: unknown[]) => {
    if (held) {
      held.push(args);
      return true;
    }
    const announced = args[0] as { type?: string; port?: number } | undefined;
    if (announced?.type !== "listening" || typeof announced.port !== "number") return originalSend(...args);
    const port = announced.port;
    held = [args];
    const relay = createServer((client) => {
      const upstream = connect({ port, host: "127.0.0.1", noDelay: true });
      client.setNoDelay?.(true);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", close);
      upstream.on("error", close);
    });
    rmSync(socketPath, { force: true });
    relay.listen(socketPath, () => {
      const queued = held ?? [];
      held = undefined;
      for (const message of queued) originalSend(...message);
    });
    relay.unref();
    return true;
  }) as typeof process.send;
}
