// The ArtifactStore contract: one suite that every implementation runs unchanged (the filesystem
// store in the unit tier, the S3 store in e2e against a real S3 server). It pins down what callers
// rely on: ids, records, whole and ranged reads, the size limit leaving nothing, isolation of
// projects, deletion, download URLs, concurrency, and a second instance seeing the same artifacts.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { ARTIFACT_ID_PATTERN } from "@bod/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArtifactStore } from "./artifact-store.ts";
import { ArtifactRangeNotSatisfiableError } from "./errors/artifact-range-not-satisfiable-error.ts";
import { ArtifactTooLargeError } from "./errors/artifact-too-large-error.ts";
import { InvalidArtifactInputError } from "./errors/invalid-artifact-input-error.ts";

export interface ArtifactStoreFixture {
  store: ArtifactStore;
  /** Another store over the same backing, as a second process or replica would build it. */
  reopen(): ArtifactStore;
  /**
   * GETs a URL that `downloadUrl` gave, as a browser would: a real fetch of a presigned S3 URL;
   * for the filesystem, the signed link checked and served as the gateway serves it.
   */
  fetchDownload(url: string): Promise<{ status: number; body: Uint8Array }>;
  close(): Promise<void>;
}

/** A fresh project id per test, so tests never see each other's artifacts. */
function project(): string {
  return `p-${randomBytes(5).toString("hex")}`;
}

async function bytesOf(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function chunked(bytes: Uint8Array, size: number): Readable {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return Readable.from(parts);
}

export function describeArtifactStoreContract(name: string, createFixture: () => Promise<ArtifactStoreFixture>): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    let fixture: ArtifactStoreFixture;
    let store: ArtifactStore;
    beforeAll(async () => {
      fixture = await createFixture();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture?.close();
    });

    it("stores bytes under a fresh id and gives back the record, by head and by get", async () => {
      const projectId = project();
      const bytes = randomBytes(1000);
      const before = Date.now();
      const record = await store.put({ projectId, kind: "render", extension: "png", mimeType: "image/png", body: bytes });
      expect(record).toEqual({
        id: expect.stringMatching(ARTIFACT_ID_PATTERN),
        projectId,
        kind: "render",
        mimeType: "image/png",
        bytes: 1000,
        createdAt: expect.any(String),
      });
      expect(record.id.endsWith(".png")).toBe(true);
      expect(Date.parse(record.createdAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(await store.head(projectId, record.id)).toEqual(record);
      const content = await store.get(projectId, record.id);
      expect(content?.artifact).toEqual(record);
      expect(content?.range).toBeUndefined();
      expect((await bytesOf(content!.body)).equals(bytes)).toBe(true);
    });

    it("stores a stream and an async iterable of chunks, and an empty body", async () => {
      const projectId = project();
      const bytes = randomBytes(100_000);
      const fromStream = await store.put({
        projectId,
        kind: "export",
        extension: "glb",
        mimeType: "model/gltf-binary",
        body: chunked(bytes, 7000),
      });
      expect(fromStream.bytes).toBe(bytes.length);
      async function* generate() {
        yield bytes.subarray(0, 10);
        yield bytes.subarray(10);
      }
      const fromIterable = await store.put({ projectId, kind: "upload", extension: "stl", mimeType: "model/stl", body: generate() });
      expect(fromIterable.bytes).toBe(bytes.length);
      const empty = await store.put({ projectId, kind: "export", extension: "obj", mimeType: "model/obj", body: Readable.from([]) });
      expect(empty.bytes).toBe(0);
      for (const record of [fromStream, fromIterable]) {
        expect((await bytesOf((await store.get(projectId, record.id))!.body)).equals(bytes)).toBe(true);
      }
      expect((await bytesOf((await store.get(projectId, empty.id))!.body)).length).toBe(0);
    });

    it("reads a range, clamps its end to the last byte, and refuses one that starts past the end", async () => {
      const projectId = project();
      const bytes = randomBytes(100);
      const { id } = await store.put({ projectId, kind: "render", extension: "png", mimeType: "image/png", body: bytes });
      const middle = await store.get(projectId, id, { range: { start: 10, end: 19 } });
      expect(middle?.range).toEqual({ start: 10, end: 19 });
      expect(middle?.artifact.bytes).toBe(100);
      expect((await bytesOf(middle!.body)).equals(bytes.subarray(10, 20))).toBe(true);
      const tail = await store.get(projectId, id, { range: { start: 90 } });
      expect(tail?.range).toEqual({ start: 90, end: 99 });
      expect((await bytesOf(tail!.body)).equals(bytes.subarray(90))).toBe(true);
      const clamped = await store.get(projectId, id, { range: { start: 95, end: 1000 } });
      expect(clamped?.range).toEqual({ start: 95, end: 99 });
      expect((await bytesOf(clamped!.body)).equals(bytes.subarray(95))).toBe(true);
      const last = await store.get(projectId, id, { range: { start: 99, end: 99 } });
      expect([...(await bytesOf(last!.body))]).toEqual([bytes[99]]);
      const past = await store.get(projectId, id, { range: { start: 100 } }).catch((error: unknown) => error);
      expect(past).toBeInstanceOf(ArtifactRangeNotSatisfiableError);
      expect(past).toMatchObject({ bytes: 100, start: 100 });
      await expect(store.get(projectId, id, { range: { start: 5, end: 4 } })).rejects.toBeInstanceOf(InvalidArtifactInputError);
      await expect(store.get(projectId, id, { range: { start: -1 } })).rejects.toBeInstanceOf(InvalidArtifactInputError);
      expect(await store.get(projectId, `${"0".repeat(32)}.png`, { range: { start: 0 } })).toBeUndefined();
    });

    it("refuses a body over the size limit and keeps nothing of it, from bytes or a stream", async () => {
      const projectId = project();
      const bytes = randomBytes(50_000);
      const refused = await store
        .put({ projectId, kind: "upload", extension: "glb", mimeType: "model/gltf-binary", body: bytes, maxBytes: 49_999 })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ArtifactTooLargeError);
      expect(refused).toMatchObject({ maxBytes: 49_999 });
      const source = chunked(bytes, 4096);
      const streamed = await store
        .put({ projectId, kind: "upload", extension: "glb", mimeType: "model/gltf-binary", body: source, maxBytes: 10_000 })
        .catch((error: unknown) => error);
      expect(streamed).toBeInstanceOf(ArtifactTooLargeError);
      expect((streamed as ArtifactTooLargeError).receivedBytes).toBeGreaterThan(10_000);
      // The store stopped reading and let the source go.
      expect(source.destroyed).toBe(true);
      expect(await store.list(projectId)).toEqual([]);
      const exact = await store.put({
        projectId,
        kind: "upload",
        extension: "glb",
        mimeType: "model/gltf-binary",
        body: chunked(bytes, 4096),
        maxBytes: 50_000,
      });
      expect(exact.bytes).toBe(50_000);
      expect((await store.list(projectId)).map((record) => record.id)).toEqual([exact.id]);
    });

    it("keeps nothing when the body's source fails midway, and passes its error on", async () => {
      const projectId = project();
      async function* failing() {
        yield randomBytes(1000);
        throw new Error("the source broke");
      }
      await expect(
        store.put({ projectId, kind: "export", extension: "fbx", mimeType: "application/octet-stream", body: failing() }),
      ).rejects.toThrow(/the source broke/);
      expect(await store.list(projectId)).toEqual([]);
    });

    it("lists a project's artifacts only, newest first, and keeps projects apart", async () => {
      const [alpha, beta] = [project(), project()];
      const put = (projectId: string, extension: string) =>
        store.put({ projectId, kind: "export", extension, mimeType: "application/octet-stream", body: randomBytes(10) });
      const first = await put(alpha, "obj");
      const second = await put(alpha, "mtl");
      const other = await put(beta, "obj");
      const listed = await store.list(alpha);
      expect(new Set(listed.map((record) => record.id))).toEqual(new Set([first.id, second.id]));
      expect(listed).toContainEqual(first);
      for (let index = 1; index < listed.length; index++) expect(listed[index - 1]!.createdAt >= listed[index]!.createdAt).toBe(true);
      expect((await store.list(beta)).map((record) => record.id)).toEqual([other.id]);
      expect(await store.head(beta, first.id)).toBeUndefined();
      expect(await store.get(beta, first.id)).toBeUndefined();
      expect(await store.downloadUrl(beta, first.id, { expiresInSeconds: 60 })).toBeUndefined();
      expect(await store.list(project())).toEqual([]);
    });

    it("deletes every artifact of a project and nothing of another", async () => {
      const [doomed, kept] = [project(), project()];
      const records = await Promise.all(
        [doomed, doomed, doomed, kept].map((projectId) =>
          store.put({ projectId, kind: "render", extension: "png", mimeType: "image/png", body: randomBytes(64) }),
        ),
      );
      await store.deleteProject(doomed);
      expect(await store.list(doomed)).toEqual([]);
      for (const record of records.slice(0, 3)) expect(await store.head(doomed, record.id)).toBeUndefined();
      expect(await store.head(kept, records[3]!.id)).toEqual(records[3]);
      // Nothing there (any more): still fine.
      await store.deleteProject(doomed);
      await store.deleteProject(project());
    });

    it("finds nothing for unknown or malformed ids and projects, and refuses bad input to put", async () => {
      const projectId = project();
      const { id } = await store.put({ projectId, kind: "render", extension: "png", mimeType: "image/png", body: randomBytes(8) });
      for (const bad of [`${"0".repeat(32)}.png`, "../../etc/passwd", "abc", id.toUpperCase(), `${id}/x`, `x${id}`, ""]) {
        expect(await store.head(projectId, bad)).toBeUndefined();
        expect(await store.get(projectId, bad)).toBeUndefined();
        expect(await store.downloadUrl(projectId, bad, { expiresInSeconds: 60 })).toBeUndefined();
      }
      for (const badProject of ["../x", "Upper", "", "a/b"]) {
        expect(await store.head(badProject, id)).toBeUndefined();
        expect(await store.get(badProject, id)).toBeUndefined();
        await expect(store.list(badProject)).rejects.toBeInstanceOf(InvalidArtifactInputError);
        await expect(store.deleteProject(badProject)).rejects.toBeInstanceOf(InvalidArtifactInputError);
      }
      const valid = { projectId, kind: "render", extension: "png", mimeType: "image/png", body: randomBytes(8) } as const;
      for (const [field, value] of [
        ["projectId", "../escape"],
        ["extension", ".png"],
        ["extension", "verylongext"],
        ["mimeType", "image/png; charset=x"],
        ["kind", "snapshot"],
        ["maxBytes", -1],
      ] as const) {
        const error = await store.put({ ...valid, [field]: value } as never).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(InvalidArtifactInputError);
        expect(error).toMatchObject({ field });
      }
      await expect(store.downloadUrl(projectId, id, { expiresInSeconds: 0 })).rejects.toBeInstanceOf(InvalidArtifactInputError);
      await expect(store.downloadUrl(projectId, id, { expiresInSeconds: 604_801 })).rejects.toBeInstanceOf(InvalidArtifactInputError);
      expect((await store.list(projectId)).map((record) => record.id)).toEqual([id]);
    });

    it("gives a download URL that serves the artifact", async () => {
      const projectId = project();
      const bytes = randomBytes(3000);
      const { id } = await store.put({ projectId, kind: "export", extension: "glb", mimeType: "model/gltf-binary", body: bytes });
      const url = await store.downloadUrl(projectId, id, { expiresInSeconds: 300 });
      expect(url).toEqual(expect.any(String));
      const download = await fixture.fetchDownload(url!);
      expect(download.status).toBe(200);
      expect(Buffer.from(download.body).equals(bytes)).toBe(true);
    });

    it("takes concurrent puts to one project, each under its own id", async () => {
      const projectId = project();
      const bodies = Array.from({ length: 16 }, (_, index) => randomBytes(500 + index));
      const records = await Promise.all(
        bodies.map((body, index) =>
          store.put({ projectId, kind: "render", extension: "png", mimeType: "image/png", body: index % 2 ? body : chunked(body, 100) }),
        ),
      );
      expect(new Set(records.map((record) => record.id)).size).toBe(16);
      expect((await store.list(projectId)).length).toBe(16);
      const read = await Promise.all(records.map(async (record) => bytesOf((await store.get(projectId, record.id))!.body)));
      for (const [index, bytes] of read.entries()) expect(bytes.equals(bodies[index]!)).toBe(true);
    });

    it("shows what one instance stored to another over the same backing", async () => {
      const projectId = project();
      const bytes = randomBytes(200);
      const record = await store.put({ projectId, kind: "render", extension: "png", mimeType: "image/png", body: bytes });
      const other = fixture.reopen();
      expect(await other.head(projectId, record.id)).toEqual(record);
      expect((await bytesOf((await other.get(projectId, record.id))!.body)).equals(bytes)).toBe(true);
      await other.deleteProject(projectId);
      expect(await store.head(projectId, record.id)).toBeUndefined();
    });
  });
}
