// The gateway's runtime port over a cluster runtime: tool calls go to the Service's address (no
// token), instance state passes through, and release deletes the Service before the project's
// data, answering 503 when the Service cannot be deleted.
import type { ArtifactStore } from "@bod/storage";
import { describe, expect, it } from "vitest";
import { createClusterRuntimeAdapter } from "./cluster-runtime-adapter.ts";
import { UnavailableError } from "./errors/unavailable-error.ts";

function adapterWith(options: { deleteFails?: boolean } = {}) {
  const calls: string[] = [];
  const adapter = createClusterRuntimeAdapter(
    {
      instance: (projectId) =>
        projectId === "p1" ? { state: "ready", since: "2026-12-01T10:00:00Z", lastActivity: "2026-12-01T10:01:00Z" } : undefined,
      async ensure(projectId) {
        calls.push(`ensure ${projectId}`);
        return `http://bod-${projectId}-0.bod.svc.cluster.local`;
      },
      async delete(projectId) {
        calls.push(`delete service ${projectId}`);
        if (options.deleteFails) throw new Error("the Kubernetes API answered 503");
      },
    },
    {
      async deleteProject(projectId) {
        calls.push(`delete artifacts ${projectId}`);
      },
    } as Pick<ArtifactStore, "deleteProject">,
    {
      async deleteProject(projectId) {
        calls.push(`delete scene ${projectId}`);
      },
    },
  );
  return { adapter, calls };
}

describe("cluster runtime adapter", () => {
  it("sends the agent to the Service's /mcp with no token, creating the Service on first use", async () => {
    const { adapter, calls } = adapterWith();
    expect(await adapter.toolEndpoint("p1")).toEqual({ url: "http://bod-p1-0.bod.svc.cluster.local/mcp" });
    expect(calls).toEqual(["ensure p1"]);
  });

  it("passes instance state through, never busy", async () => {
    const { adapter } = adapterWith();
    expect(await adapter.instance("p1")).toEqual({
      state: "ready",
      since: "2026-12-01T10:00:00Z",
      lastActivity: "2026-12-01T10:01:00Z",
      inFlight: 0,
    });
    expect(await adapter.instance("p2")).toBeUndefined();
  });

  it("releases a project by deleting its Service first, then its artifacts and scene", async () => {
    const { adapter, calls } = adapterWith();
    await adapter.release("p1");
    expect(calls).toEqual(["delete service p1", "delete artifacts p1", "delete scene p1"]);
  });

  it("keeps the data when the Service cannot be deleted, and says to try again", async () => {
    const { adapter, calls } = adapterWith({ deleteFails: true });
    const error = await adapter.release("p1").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).retryAfterSeconds).toBe(5);
    expect((error as Error).message).toContain("the Kubernetes API answered 503");
    expect(calls).toEqual(["delete service p1"]);
  });
});
