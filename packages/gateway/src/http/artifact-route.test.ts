// The gateway's artifact route over a real filesystem ArtifactStore: byte ranges, a redirect to
// the store's own download URL when it has one (S3 presigned), the store's failures as 503 with
// Retry-After, and artifacts found by id and project only.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ArtifactStore, ArtifactStoreUnavailableError, createFilesystemArtifactStore } from "@bod/storage";
import { afterEach, describe, expect, it } from "vitest";
import { createTestGateway } from "../test-support/gateway-doubles.ts";

const BYTES = Buffer.from("0123456789abcdefghij");
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A gateway whose artifacts come from `wrap(store)`, one project of alice's with a 20-byte GLB in it. */
async function setUp(wrap: (store: ArtifactStore) => ArtifactStore = (store) => store) {
  const folder = mkdtempSync(join(tmpdir(), "bod-artifact-route-"));
  const store = createFilesystemArtifactStore({ directoryOf: (projectId) => join(folder, projectId) });
  const gateway = await createTestGateway({ artifacts: wrap(store) });
  cleanups.push(
    () => gateway.close(),
    () => rmSync(folder, { recursive: true, force: true }),
  );
  const created = await gateway.request("/api/projects", { method: "POST", token: gateway.alice, body: '{"name": "Ranges"}' });
  const project = (await created.json()) as { id: string };
  const artifact = await store.put({ projectId: project.id, kind: "export", extension: "glb", mimeType: "model/gltf-binary", body: BYTES });
  const path = `/api/projects/${project.id}/artifacts/${artifact.id}`;
  return { gateway, store, project, artifact, path };
}

describe("artifact route", () => {
  it("serves the whole file, a byte range, a suffix range, and 416 past the end", async () => {
    const { gateway, path } = await setUp();
    const whole = await gateway.request(path, { token: gateway.alice });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.headers.get("content-disposition")).toBe('attachment; filename="export.glb"');
    expect(whole.headers.get("content-length")).toBe("20");
    expect(Buffer.from(await whole.arrayBuffer()).equals(BYTES)).toBe(true);

    const range = await gateway.request(path, { token: gateway.alice, headers: { range: "bytes=5-9" } });
    expect(range.status).toBe(206);
    expect(range.headers.get("content-range")).toBe("bytes 5-9/20");
    expect(await range.text()).toBe("56789");

    const suffix = await gateway.request(path, { token: gateway.alice, headers: { range: "bytes=-4" } });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get("content-range")).toBe("bytes 16-19/20");
    expect(await suffix.text()).toBe("ghij");

    const past = await gateway.request(path, { token: gateway.alice, headers: { range: "bytes=20-" } });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe("bytes */20");

    // Several ranges are not served as multipart: the whole file comes back.
    const several = await gateway.request(path, { token: gateway.alice, headers: { range: "bytes=0-1,4-5" } });
    expect(several.status).toBe(200);
    expect(await several.arrayBuffer()).toHaveProperty("byteLength", 20);
  });

  it("finds artifacts by project and id only: another user's, another project's and unknown ids are 404", async () => {
    const { gateway, store, artifact, path } = await setUp();
    expect((await gateway.request(path, { token: gateway.bob })).status).toBe(404);
    const created = await gateway.request("/api/projects", { method: "POST", token: gateway.alice, body: '{"name": "Other"}' });
    const other = (await created.json()) as { id: string };
    expect((await gateway.request(`/api/projects/${other.id}/artifacts/${artifact.id}`, { token: gateway.alice })).status).toBe(404);
    expect((await gateway.request(path.replace(/[0-9a-f]{32}/, "0".repeat(32)), { token: gateway.alice })).status).toBe(404);
    expect((await gateway.request(`${path.slice(0, path.lastIndexOf("/"))}/..%2F..%2Fsecret`, { token: gateway.alice })).status).toBe(404);
    expect(await store.head(other.id, artifact.id)).toBeUndefined();
  });

  it("redirects to the store's own download URL when it has one, for a token and a signed link alike", async () => {
    const presigned = "https://bucket.s3.example.com/projects/p/artifacts/x.glb?X-Amz-Expires=3600&X-Amz-Signature=abc";
    const asked: Array<{ projectId: string; id: string; expiresInSeconds: number }> = [];
    const { gateway, path, project, artifact } = await setUp((store) => ({
      ...store,
      async downloadUrl(projectId, id, options) {
        asked.push({ projectId, id, expiresInSeconds: options.expiresInSeconds });
        return (await store.head(projectId, id)) ? presigned : undefined;
      },
    }));
    const redirected = await gateway.request(path, { token: gateway.alice });
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get("location")).toBe(presigned);
    expect(redirected.headers.get("cache-control")).toBe("private, max-age=1800");
    expect(asked).toEqual([{ projectId: project.id, id: artifact.id, expiresInSeconds: 3600 }]);
    // A missing artifact is still 404, not a redirect to nothing.
    expect((await gateway.request(path.replace(/[0-9a-f]{32}/, "0".repeat(32)), { token: gateway.alice })).status).toBe(404);
  });

  it("answers 503 with Retry-After and the store's words when the store is down", async () => {
    const failure = new ArtifactStoreUnavailableError(
      "The artifact store (s3://b) could not be reached (ECONNREFUSED) while reading an artifact.",
      {
        operation: "get",
        reason: "unreachable",
        store: "s3://b",
        retryAfterSeconds: 5,
      },
    );
    const { gateway, path } = await setUp((store) => ({
      ...store,
      async get() {
        throw failure;
      },
    }));
    const response = await gateway.request(path, { token: gateway.alice });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(((await response.json()) as { detail: string }).detail).toBe(failure.message);
  });
});
