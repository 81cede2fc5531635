// The web UI's modules as the browser gets them, laid out as their URLs are and loaded as plain ES
// modules: the SSE reader with the eventsource-parser modules it imports, and the facts the page
// shares with the server.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ARTIFACT_ID_PATTERN, MAX_MESSAGE_CHARS, RENDER_DEFAULTS } from "@bod/contracts";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_PROJECT_NAME_CHARS } from "../schemas.ts";
import { createWebUi } from "./web-ui.ts";

const ui = createWebUi();
const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

/** Fetches `path` from the UI and every module it imports, into `root` at the same paths. */
async function mirror(root: string, path: string, seen = new Set<string>()): Promise<void> {
  if (seen.has(path)) return;
  seen.add(path);
  const response = await ui.request(path);
  expect(response.status, path).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/javascript/);
  const source = await response.text();
  await mkdir(join(root, dirname(path)), { recursive: true });
  await writeFile(join(root, path), source);
  const map = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(source)?.[1];
  if (map) {
    const mapPath = new URL(map, `http://ui${path}`).pathname;
    const served = await ui.request(mapPath);
    expect(served.status, mapPath).toBe(200);
    await writeFile(join(root, mapPath), await served.text());
  }
  for (const [, specifier] of source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm)) {
    // A bare specifier ("eventsource-parser") would not load in a browser without an import map.
    expect(specifier, `${path} imports ${specifier}`).toMatch(/^\.{1,2}\//);
    await mirror(root, new URL(specifier!, `http://ui${path}`).pathname, seen);
  }
}

function sseResponse(...chunks: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

describe("web UI", () => {
  it("serves sse.js with the parser it imports, and it reads turn events", async () => {
    const root = await mkdtemp(join(tmpdir(), "bod-web-ui-"));
    folders.push(root);
    await mirror(root, "/sse.js");
    const { readEventStream } = (await import(pathToFileURL(join(root, "sse.js")).href)) as {
      readEventStream: (response: Response, onEvent: (event: { event: string; data: unknown }) => void) => Promise<void>;
    };
    const events: Array<{ event: string; data: unknown }> = [];
    await readEventStream(
      sseResponse('event: plan\ndata: {"steps":', "2}\n\n: keep-alive\n\n", "event: note\r\ndata: not json\r\n\r\n", "event: ping\n\n"),
      (event) => events.push(event),
    );
    expect(events).toEqual([
      { event: "plan", data: { steps: 2 } },
      { event: "note", data: { raw: "not json" } },
    ]);
  });

  it("serves the contracts' limits, artifact id pattern and render defaults to the page", async () => {
    const root = await mkdtemp(join(tmpdir(), "bod-web-ui-"));
    folders.push(root);
    await mirror(root, "/facts.js");
    const facts = (await import(pathToFileURL(join(root, "facts.js")).href)) as Record<string, unknown>;
    expect({ ...facts }).toEqual({ MAX_MESSAGE_CHARS, MAX_PROJECT_NAME_CHARS, ARTIFACT_ID_PATTERN, RENDER_DEFAULTS });
    const app = await (await ui.request("/app.js")).text();
    expect(app).toContain('from "./facts.js"');
    expect(app).not.toMatch(/maxlength: \d|\[0-9a-f\]\{32\}|width: 960/);
  });

  it("serves nothing else from the parser's package", async () => {
    expect((await ui.request("/vendor/eventsource-parser/package.json")).status).toBe(404);
    // The CommonJS build is there on disk but is no browser module.
    expect((await ui.request("/vendor/eventsource-parser/stream.cjs")).status).toBe(404);
  });
});
