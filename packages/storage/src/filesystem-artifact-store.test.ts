// The filesystem store passes the ArtifactStore contract (download URLs are links a signer
// makes and a gateway checks, done here in-process), and keeps working while the local runtime
// moves a project's folder, reads the records earlier versions wrote, and leaves no partial files.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { artifactResponse } from "./artifact-response.ts";
import { describeArtifactStoreContract } from "./artifact-store-contract.ts";
import { ArtifactTooLargeError } from "./errors/artifact-too-large-error.ts";
import { createFilesystemArtifactStore } from "./filesystem-artifact-store.ts";

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "bod-artifacts-"));
  roots.push(root);
  return root;
}

describeArtifactStoreContract("filesystem", async () => {
  const root = tempRoot();
  const key = randomBytes(32);
  const mac = (path: string, exp: number) => createHmac("sha256", key).update(`${path}\n${exp}`).digest();
  const build = () =>
    createFilesystemArtifactStore({
      directoryOf: (projectId) => join(root, "projects", projectId, "artifacts"),
      signedUrlFor: (projectId, id, expiresInSeconds) => {
        const path = `/api/projects/${projectId}/artifacts/${id}`;
        const exp = Math.floor(Date.now() / 1000) + expiresInSeconds;
        return `https://gateway.example${path}?exp=${exp}&sig=${mac(path, exp).toString("base64url")}`;
      },
    });
  const store = build();
  return {
    store,
    reopen: build,
    // What the gateway's artifact route does with such a link: check it, then serve from the store.
    async fetchDownload(url) {
      const parsed = new URL(url);
      const exp = Number(parsed.searchParams.get("exp"));
      const given = Buffer.from(parsed.searchParams.get("sig") ?? "", "base64url");
      const expected = mac(parsed.pathname, exp);
      if (given.length !== expected.length || !timingSafeEqual(given, expected) || exp * 1000 <= Date.now())
        return { status: 401, body: new Uint8Array() };
      const [, , , projectId, , id] = parsed.pathname.split("/");
      const response = await artifactResponse(store, projectId!, id!);
      return response
        ? { status: response.status, body: new Uint8Array(await response.arrayBuffer()) }
        : { status: 404, body: new Uint8Array() };
    },
    async close() {},
  };
});

describe("filesystem artifact store", () => {
  it("finds artifacts after the project's folder moved, asking directoryOf at every call", async () => {
    const root = tempRoot();
    let home = join(root, "projects", "p-1");
    const store = createFilesystemArtifactStore({ directoryOf: () => join(home, "artifacts") });
    const record = await store.put({ projectId: "p-1", kind: "render", extension: "png", mimeType: "image/png", body: randomBytes(10) });
    const sandbox = join(root, "instances", "abcd", "project");
    mkdirSync(join(root, "instances", "abcd"), { recursive: true });
    renameSync(home, sandbox);
    home = sandbox;
    expect(await store.head("p-1", record.id)).toEqual(record);
    expect((await store.list("p-1")).map((artifact) => artifact.id)).toEqual([record.id]);
  });

  it("reads records written before artifacts knew their project", async () => {
    const root = tempRoot();
    const directory = join(root, "artifacts");
    mkdirSync(directory);
    const id = `${"a".repeat(32)}.png`;
    writeFileSync(join(directory, id), "png");
    const createdAt = new Date().toISOString();
    writeFileSync(join(directory, `${id}.json`), JSON.stringify({ id, kind: "render", mimeType: "image/png", bytes: 3, createdAt }));
    const store = createFilesystemArtifactStore({ directoryOf: () => directory });
    expect(await store.head("local", id)).toEqual({ id, projectId: "local", kind: "render", mimeType: "image/png", bytes: 3, createdAt });
  });

  it("leaves no partial file behind when a put is refused, and has no download URL without a signer", async () => {
    const root = tempRoot();
    const directory = join(root, "artifacts");
    const store = createFilesystemArtifactStore({ directoryOf: () => directory });
    const body = Readable.from([randomBytes(600), randomBytes(600)]);
    await expect(
      store.put({ projectId: "p-2", kind: "upload", extension: "glb", mimeType: "model/gltf-binary", body, maxBytes: 1000 }),
    ).rejects.toBeInstanceOf(ArtifactTooLargeError);
    expect(readdirSync(directory)).toEqual([]);
    const record = await store.put({ projectId: "p-2", kind: "render", extension: "png", mimeType: "image/png", body: randomBytes(4) });
    expect(readdirSync(directory).sort()).toEqual([record.id, `${record.id}.json`].sort());
    expect(await store.downloadUrl("p-2", record.id, { expiresInSeconds: 60 })).toBeUndefined();
  });
});
