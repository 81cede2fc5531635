// Through the gateway, a project's Blender goes to sleep after the idle timeout (the badge says so)
// and the next message wakes a new one with the scene as it was.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiClient } from "./support/api-client.ts";
import { type ServeProcess, startServeProcess } from "./support/serve-process.ts";

let serve: ServeProcess;
let api: ReturnType<typeof createApiClient>;

beforeAll(async () => {
  serve = await startServeProcess({ idleTimeoutSeconds: 2 });
  api = createApiClient(serve.url, serve.signInToken);
});

afterAll(async () => {
  await serve?.stop();
});

type Turn = { status: string; reply: string; toolCalls: Array<{ name: string; result?: { objects?: Array<{ name: string }> } }> };
type Instance = { state: string; sleepsInSeconds: number | null };

const send = (projectId: string, text: string) =>
  api.json<Turn & { instance: Instance }>(`/api/projects/${projectId}/messages`, {
    method: "POST",
    headers: { accept: "application/json" },
    body: JSON.stringify({ text }),
  });

describe("scale to zero through the gateway", () => {
  it("shows Blender going to sleep when idle, and the next message finds the scene as it was", async () => {
    const { id } = await api.json<{ id: string }>("/api/projects", { method: "POST", body: JSON.stringify({ name: "Sleepy" }) });
    const first = await send(id, "Add a red cube");
    expect(first.status).toBe("completed");
    expect(first.instance.state).toBe("ready");
    // The countdown shows once no call is in flight: the turn's last call (its preview) may still
    // be leaving the runtime's books as the turn's answer is built, so read it from the badge.
    const countdown = await vi.waitFor(
      async () => {
        const { sleepsInSeconds } = await api.json<Instance>(`/api/projects/${id}/instance`);
        if (sleepsInSeconds === null) throw new Error("no countdown yet");
        return sleepsInSeconds;
      },
      { timeout: 2_000, interval: 50 },
    );
    expect(countdown).toBeLessThanOrEqual(2);

    await expect
      .poll(async () => (await api.json<Instance>(`/api/projects/${id}/instance`)).state, { timeout: 30_000, interval: 100 })
      .toBe("asleep");

    const second = await send(id, "What is in the scene?");
    expect(second.status).toBe("completed");
    const scene = second.toolCalls.find((call) => call.name === "get_scene");
    expect(scene?.result?.objects?.map((object) => object.name)).toContain("Cube");
    expect(second.instance.state).toBe("ready");
    const { messages } = await api.json<{ messages: unknown[] }>(`/api/projects/${id}/messages`);
    expect(messages).toHaveLength(4);
  });
});
