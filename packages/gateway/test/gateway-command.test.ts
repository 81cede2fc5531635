// `bod gateway --runtime local` as its own process: the gateway's app on a server of its own (the
// runtime's routes are not on it), the local activator behind it on a private loopback port, and
// a user's red-cube turn through it.
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "./support/api-client.ts";
import { type GatewayProcess, startGatewayProcess } from "./support/gateway-process.ts";

let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGatewayProcess(["--runtime", "local", "--idle-timeout", "60"]);
});

afterAll(async () => {
  await gateway?.stop();
});

describe("bod gateway --runtime local", () => {
  it("answers a red-cube turn with its own activator's worker", async () => {
    const client = createApiClient(gateway.url, gateway.signInToken);
    const { id } = await client.json<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: "Local" }) });
    const events = await client.stream(id, "Add a red cube and render the scene");
    const turn = events.at(-1)!.data as { status: string; artifacts: Array<{ url: string }> };
    expect(turn.status, gateway.log()).toBe("completed");
    const response = await client.fetch(new URL(turn.artifacts[0]!.url).pathname + new URL(turn.artifacts[0]!.url).search);
    expect(response.status).toBe(200);
    const png = PNG.sync.read(Buffer.from(await response.arrayBuffer()));
    const center = ((png.height / 2) * png.width + png.width / 2) * 4;
    expect(png.data[center]!).toBeGreaterThan(png.data[center + 1]! + 40);
    expect((await client.json<{ state: string }>(`/api/projects/${id}/instance`)).state).toBe("ready");
  });

  it("serves only the gateway's paths and /healthz: the runtime's routes stay private", async () => {
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    for (const path of ["/projects/anything/mcp", "/api/instances", "/metrics"]) {
      const response = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${gateway.signInToken}` } });
      expect([401, 404], path).toContain(response.status);
    }
  });
});
