import { createServer, request, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequestGuard, LOOPBACK_HOSTNAMES } from "./request-guard.ts";

let server: Server;
let port = 0;

beforeAll(async () => {
  const guard = createRequestGuard(LOOPBACK_HOSTNAMES);
  // Node refuses a request without Host (400) before any handler; let it through to test the guard.
  server = createServer({ requireHostHeader: false }, (req, res) => {
    if (guard(req, res)) res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function status(headers: Record<string, string>, setHost = true): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/mcp", headers, setHost }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("request guard", () => {
  it("lets loopback hosts with or without ports through", async () => {
    expect(await status({ host: "127.0.0.1:8080" })).toBe(200);
    expect(await status({ host: "localhost", origin: "http://localhost:3000" })).toBe(200);
    expect(await status({ host: "[::1]:9000" })).toBe(200);
  });

  it("refuses rebinding hosts, foreign origins and a missing Host", async () => {
    expect(await status({ host: "evil.example:8080" })).toBe(403);
    expect(await status({ host: "127.0.0.1", origin: "https://evil.example" })).toBe(403);
    expect(await status({}, false)).toBe(403);
  });
});
