// `bod bench preview`: what the quick look at a scene costs. The preview preset (Workbench,
// 480x270) against the other engines at the same size, Blender-side and end to end through MCP and
// through the agent's end-of-turn preview; and what watching a render costs it (the first look
// sent with its progress, and a Cycles render's passes), against the same render unwatched in the
// same run.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent, createMcpToolClient, createPlannerReasoner, PREVIEW_CALL_ID } from "@bod/agent";
import { createMemoryAgentStore } from "@bod/agent/testing";
import { PROGRESS_META_KEYS, RESULT_META_KEYS } from "@bod/contracts";
import { type CallToolResult, Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { median, ms, table } from "./statistics.ts";
import { startWorker, stopWorker } from "./worker-bench.ts";

export interface PreviewBenchOptions {
  /** Renders per measured case. */
  runs: number;
  blender: string;
}

/** One render case: Blender's own render time and the MCP round trip, per run, in milliseconds. */
export interface RenderTimes {
  renderMs: number[];
  blenderMs: number[];
  roundTripMs: number[];
}

export interface PreviewBenchResult {
  /** The first preview after Blender started (Workbench compiles its shaders once). */
  firstPreview: { renderMs: number; roundTripMs: number };
  /** 480x270 by engine: the preview preset and the engines it was chosen over. */
  engines: Array<{ label: string; times: RenderTimes }>;
  /** The agent's end-of-turn preview: the preview call's duration as the turn recorded it, and the whole turn. */
  agentTurn: { previewMs: number[]; turnMs: number[] };
  /** Renders with and without a first look (the caller asks for progress or not). */
  firstLook: Array<{
    label: string;
    without: RenderTimes;
    with: RenderTimes;
    firstLookMs: number[];
    /** Partial images per watched render, and their median size in bytes. */
    imageCounts: number[];
    imageBytes: number[];
  }>;
}

const PREVIEW_ENGINES: Array<{ label: string; args: Record<string, unknown> }> = [
  { label: "preview preset (workbench, FXAA)", args: { preset: "preview" } },
  { label: "workbench, 8x anti-aliasing", args: { preset: "preview", samples: 8 } },
  { label: "eevee, 1 sample", args: { engine: "eevee", width: 480, height: 270, samples: 1 } },
  { label: "eevee, 16 samples", args: { engine: "eevee", width: 480, height: 270, samples: 16 } },
  { label: "cycles, 16 samples", args: { engine: "cycles", width: 480, height: 270, samples: 16 } },
];

const FIRST_LOOK_CASES: Array<{ label: string; args: Record<string, unknown> }> = [
  { label: "eevee 960x540, 32 samples", args: { engine: "eevee", width: 960, height: 540, samples: 32 } },
  { label: "cycles 640x360, 64 samples (in passes)", args: { engine: "cycles", width: 640, height: 360, samples: 64 } },
];

/** A render may take long on a busy machine; the SDK's own default is 60 s. */
const RENDER_TIMEOUT_MS = 600_000;

/** A small scene with a floor, a few colored shapes and the default camera and light. */
const SCENE: Array<Record<string, unknown>> = [
  { type: "plane", name: "Floor", color: "#d0d0d0", scale: [8, 8, 1] },
  { type: "cube", name: "Box", color: "red", location: [0, 0, 1] },
  { type: "uv_sphere", name: "Ball", color: "#3366ff", location: [2.2, 0.5, 0.8] },
  { type: "monkey", name: "Suzanne", color: "gold", location: [-2.2, 0.5, 1] },
  { type: "cylinder", name: "Post", color: "#22aa55", location: [0.5, 2.5, 1] },
];

function emptyTimes(): RenderTimes {
  return { renderMs: [], blenderMs: [], roundTripMs: [] };
}

export async function runPreviewBench(options: PreviewBenchOptions, log: (line: string) => void): Promise<PreviewBenchResult> {
  const scratch = await mkdtemp(join(tmpdir(), "bod-bench-preview-"));
  const worker = await startWorker(join(scratch, "project"), options.blender);
  const url = new URL(`http://127.0.0.1:${worker.port}/mcp`);
  const client = new Client({ name: "bod-bench-preview", version: "1.0.0" });
  try {
    await client.connect(new StreamableHTTPClientTransport(url));
    const render = async (args: Record<string, unknown>, listen: boolean, into?: RenderTimes) => {
      const imageBytes: number[] = [];
      const startedAt = performance.now();
      const result = (await client.callTool(
        { name: "render_frame", arguments: args },
        {
          timeout: RENDER_TIMEOUT_MS,
          ...(listen
            ? {
                onprogress: (progress: unknown) => {
                  const meta = (progress as { _meta?: Record<string, unknown> })._meta;
                  const image = meta?.[PROGRESS_META_KEYS.partialImage] as { data?: string } | undefined;
                  if (image?.data) imageBytes.push(Buffer.from(image.data, "base64").length);
                },
              }
            : {}),
        },
      )) as CallToolResult;
      const roundTripMs = performance.now() - startedAt;
      if (result.isError) throw new Error(`render_frame failed: ${JSON.stringify(result.content)}`);
      const structured = result.structuredContent as { renderMs: number; firstLookMs?: number };
      const blenderMs = Number(result._meta?.[RESULT_META_KEYS.blenderMs] ?? Number.NaN);
      into?.renderMs.push(structured.renderMs);
      into?.blenderMs.push(blenderMs);
      into?.roundTripMs.push(roundTripMs);
      return { renderMs: structured.renderMs, roundTripMs, firstLookMs: structured.firstLookMs, imageBytes };
    };

    log("building the scene…");
    for (const object of SCENE) {
      const result = (await client.callTool({ name: "add_object", arguments: object })) as CallToolResult;
      if (result.isError) throw new Error(`add_object failed: ${JSON.stringify(result.content)}`);
    }
    const first = await render({ preset: "preview" }, false);
    const firstPreview = { renderMs: first.renderMs, roundTripMs: first.roundTripMs };

    log(`480x270 by engine (${options.runs} each, after one unmeasured render)…`);
    const engines: PreviewBenchResult["engines"] = [];
    for (const { label, args } of PREVIEW_ENGINES) {
      const times = emptyTimes();
      await render(args, false);
      for (let run = 0; run < options.runs; run++) await render(args, false, times);
      engines.push({ label, times });
    }

    log(`first look on and off, alternating (${options.runs} each)…`);
    const firstLook: PreviewBenchResult["firstLook"] = [];
    for (const { label, args } of FIRST_LOOK_CASES) {
      const entry = {
        label,
        without: emptyTimes(),
        with: emptyTimes(),
        firstLookMs: [] as number[],
        imageCounts: [] as number[],
        imageBytes: [] as number[],
      };
      await render(args, true);
      for (let run = 0; run < options.runs; run++) {
        await render(args, false, entry.without);
        const listened = await render(args, true, entry.with);
        if (listened.firstLookMs !== undefined) entry.firstLookMs.push(listened.firstLookMs);
        entry.imageCounts.push(listened.imageBytes.length);
        entry.imageBytes.push(...listened.imageBytes);
      }
      firstLook.push(entry);
    }

    log(`the agent's end-of-turn preview (${options.runs} turns)…`);
    const agentTurn = { previewMs: [] as number[], turnMs: [] as number[] };
    const toolClient = createMcpToolClient({ url: url.toString() });
    try {
      const agent = createAgent({ reasoner: createPlannerReasoner(), toolClient, store: createMemoryAgentStore() });
      for (let run = 0; run < options.runs; run++) {
        const turn = await agent.runTurn({ projectId: "bench", text: `move the box up by ${(run % 2) * 2 - 1}` });
        const preview = turn.toolCalls.find((call) => call.id === PREVIEW_CALL_ID);
        if (!preview || preview.error) throw new Error(`the turn made no preview: ${turn.reply}`);
        agentTurn.previewMs.push(preview.durationMs);
        agentTurn.turnMs.push(turn.timings.totalMs);
      }
    } finally {
      await toolClient.close();
    }
    return { firstPreview, engines, agentTurn, firstLook };
  } finally {
    await client.close().catch(() => {});
    await stopWorker(worker);
    await rm(scratch, { recursive: true, force: true });
  }
}

export function formatPreviewBench(result: PreviewBenchResult, options: PreviewBenchOptions): string {
  const sections: string[] = [];
  sections.push(
    table([
      [`480x270 (median of ${options.runs})`, "Blender render", "MCP round trip"],
      ["first preview after start (once)", ms(result.firstPreview.renderMs), ms(result.firstPreview.roundTripMs)],
      ...result.engines.map(({ label, times }) => [label, ms(median(times.renderMs)), ms(median(times.roundTripMs))]),
    ]),
  );
  sections.push(
    table([
      [`agent turn "move the box up" (median of ${options.runs})`, "preview call", "whole turn"],
      ["planner, MCP to the worker", ms(median(result.agentTurn.previewMs)), ms(median(result.agentTurn.turnMs))],
    ]),
  );
  sections.push(
    table([
      [
        `watched render against unwatched (median of ${options.runs})`,
        "without",
        "with",
        "difference",
        "first look",
        "its share",
        "images",
      ],
      ...result.firstLook.map((entry) => {
        const without = median(entry.without.roundTripMs);
        const withLook = median(entry.with.roundTripMs);
        const firstLookMs = median(entry.firstLookMs);
        return [
          entry.label,
          ms(without),
          ms(withLook),
          `${(((withLook - without) / without) * 100).toFixed(1)} %`,
          ms(firstLookMs),
          `${((firstLookMs / without) * 100).toFixed(1)} %`,
          `${median(entry.imageCounts)} × ${(median(entry.imageBytes) / 1024).toFixed(0)} KiB`,
        ];
      }),
    ]),
  );
  return sections.join("\n\n");
}
