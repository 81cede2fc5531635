// A TCP port on loopback that nothing listens on right now, for a server to take.
import { createServer } from "node:net";

/** Asks the kernel for a free port on `host` (default 127.0.0.1) and releases it at once. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error(`No free port on ${host}.`))));
    });
  });
}
