// The tools' side of artifacts, with a stand-in engine that writes files as Blender would and a
// real filesystem ArtifactStore: renders and exports go into the store under the worker's project
// and leave no scratch file, an import of a stored artifact reads a local copy that is gone after
// the call, and a store that is down answers storage_unavailable with what to do.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ArtifactStore, ArtifactStoreUnavailableError, createFilesystemArtifactStore } from "@bod/storage";
import { createMcpHandler } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it } from "vitest";
import type { SceneEngine } from "../blender/index.ts";
import { createSceneServer } from "./create-scene-server.ts";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "tools-test", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};
const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001", "hex");
const STL = Buffer.from(
  "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid x\n",
);

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A worker's tools over `store`, with an engine that writes what Blender would and records what it was asked. */
function setUp(wrap: (store: ArtifactStore) => ArtifactStore = (store) => store) {
  const root = mkdtempSync(join(tmpdir(), "bod-tools-"));
  folders.push(root);
  const scratch = join(root, "tmp");
  const store = createFilesystemArtifactStore({ directoryOf: (projectId) => join(root, "artifacts", projectId) });
  const imports: Array<{ path: string; bytes: string; existed: boolean }> = [];
  const engine = {
    async call(command: string, args: Record<string, unknown>) {
      if (command === "render_frame") {
        await writeFile(args.output as string, PNG);
        return { engine: args.engine, width: args.width, height: args.height, samples: args.samples, renderMs: 5 };
      }
      if (command === "export_scene") {
        await writeFile(args.output as string, STL);
        return { files: [args.output] };
      }
      if (command === "import_model") {
        const path = args.path as string;
        imports.push({ path, bytes: (await readFile(path)).toString(), existed: existsSync(path) });
        return { objects: ["Imported"] };
      }
      throw new Error(`unexpected ${command}`);
    },
    async begin(command: string, args: Record<string, unknown>) {
      return { result: await engine.call(command as never, args), saved: Promise.resolve() };
    },
  } as unknown as SceneEngine;
  const handler = createMcpHandler(() =>
    createSceneServer({
      engine,
      store: wrap(store),
      projectId: "p-7",
      artifactUrl: (id) => `http://worker.test/artifacts/${id}`,
      scratchDirectory: scratch,
    }),
  );
  let id = 0;
  const call = async (name: string, args: Record<string, unknown>) => {
    const response = await handler.fetch(
      new Request("http://localhost/mcp", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2026-07-28",
          "mcp-method": "tools/call",
          "mcp-name": name,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name, arguments: args, _meta: META } }),
      }),
    );
    return (await response.json()).result as {
      isError?: boolean;
      structuredContent?: Record<string, { id: string; url: string; bytes: number }>;
      content: Array<{ type: string; text?: string }>;
      _meta?: Record<string, unknown>;
    };
  };
  return { store, scratch, imports, call };
}

describe("scene tools and the artifact store", () => {
  it("stores renders and exports under the worker's project, with its URLs, and leaves no scratch file", async () => {
    const { store, scratch, call } = setUp();
    const render = await call("render_frame", {});
    expect(render.isError).toBeFalsy();
    const rendered = render.structuredContent!.artifact!;
    expect(rendered.url).toBe(`http://worker.test/artifacts/${rendered.id}`);
    expect(await store.head("p-7", rendered.id)).toMatchObject({ kind: "render", mimeType: "image/png", bytes: PNG.length });

    const exported = await call("export_scene", { format: "stl" });
    const file = exported.structuredContent!.artifact!;
    expect(file.id).toMatch(/\.stl$/);
    const content = await store.get("p-7", file.id);
    expect(Buffer.concat(await content!.body.toArray()).equals(STL)).toBe(true);
    expect(readdirSync(scratch)).toEqual([]);
  });

  it("imports a stored artifact from a local copy that is removed after the call, and stores uploads", async () => {
    const { store, scratch, imports, call } = setUp();
    const stored = await store.put({ projectId: "p-7", kind: "export", extension: "stl", mimeType: "model/stl", body: STL });
    const imported = await call("import_model", { format: "stl", artifactId: stored.id });
    expect(imported.isError, JSON.stringify(imported.content)).toBeFalsy();
    expect(imports[0]).toMatchObject({ bytes: STL.toString(), existed: true });
    expect(imports[0]!.path.startsWith(scratch)).toBe(true);
    expect(existsSync(imports[0]!.path)).toBe(false);

    const uploaded = await call("import_model", { format: "stl", data: STL.toString("base64") });
    const upload = uploaded.structuredContent!.artifact!;
    expect(await store.head("p-7", upload.id)).toMatchObject({ kind: "upload", bytes: STL.length });
    expect(existsSync(imports[1]!.path)).toBe(false);
    expect(readdirSync(scratch)).toEqual([]);

    // Another project's artifact is not this worker's to import.
    const foreign = await store.put({ projectId: "p-8", kind: "export", extension: "stl", mimeType: "model/stl", body: STL });
    const refused = await call("import_model", { format: "stl", artifactId: foreign.id });
    expect(refused._meta?.["bod/errorCode"]).toBe("artifact_not_found");
  });

  it("answers storage_unavailable, with the store's words and when to retry, when the store is down", async () => {
    const down = new ArtifactStoreUnavailableError(
      "The artifact store (s3://b) could not be reached (ECONNREFUSED) while storing an artifact.",
      {
        operation: "put",
        reason: "unreachable",
        store: "s3://b",
        retryAfterSeconds: 5,
      },
    );
    const { scratch, call } = setUp((store) => ({
      ...store,
      async put() {
        throw down;
      },
    }));
    const result = await call("render_frame", {});
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toBe(`storage_unavailable: ${down.message}`);
    expect(result._meta).toMatchObject({
      "bod/errorCode": "storage_unavailable",
      "bod/errorData": { reason: "unreachable", retryAfterSeconds: 5 },
    });
    expect(readdirSync(scratch)).toEqual([]);
  });
});
