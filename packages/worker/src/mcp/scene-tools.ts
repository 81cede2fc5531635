// The scene tools as MCP tools: each contract from @bod/contracts becomes a registered tool
// whose handler normalises the input, runs the matching bridge command inside Blender, stores
// produced files as artifacts, and answers with structured content the output schema checks.
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type Artifact,
  type ExportFormat,
  type ImportFormat,
  MAX_UPLOAD_BYTES,
  RESULT_META_KEYS,
  TOOL_CONTRACTS,
  type ToolContract,
  ToolError,
  type ToolName,
} from "@bod/contracts";
import type { ArtifactStore } from "@bod/storage";
import type { CallToolResult, McpServer, RequestId, ServerContext } from "@modelcontextprotocol/server";
import type { BridgeCommand, SceneEngine } from "../blender/index.ts";
import { cacheContractSchemas } from "./cached-json-schema.ts";
import { toBridgeArguments } from "./tool-input.ts";
import { checkUpload } from "./upload-check.ts";

/** Read at each call, not when the tools are registered: a pool worker's store and folders change when it is bound. */
export interface SceneToolDependencies {
  readonly engine: SceneEngine;
  readonly store: ArtifactStore;
  /** Scratch folder for files Blender writes before they move into the store. */
  readonly scratchDirectory: string;
  /** Called around every tool call, so the worker can count in-flight work and activity. */
  onCallStart?: (tool: string) => void;
  onCallEnd?: (tool: string, outcome: "ok" | "error", durationMs: number) => void;
}

const EXPORT_MIME_TYPES: Record<ExportFormat, string> = {
  glb: "model/gltf-binary",
  gltf: "model/gltf+json",
  obj: "model/obj",
  stl: "model/stl",
  fbx: "application/octet-stream",
  blend: "application/x-blender",
};

export const RENDER_DEFAULTS = { engine: "eevee", width: 960, height: 540, samples: 32 } as const;

type Progress = { progress: number; total: number; message: string };
/** What every engine call of one tool call is given: its cancel signal, progress, and where Blender's time adds up. */
type CallOptions = { signal: AbortSignal; onProgress: (progress: Progress) => void; onBlenderTime: (blenderMs: number) => void };
type ToolOutcome = {
  structured: Record<string, unknown>;
  content?: CallToolResult["content"];
  /** When the call's change is journaled; the call is acknowledged only after. */
  saved?: Promise<void>;
};

function describeArtifact(artifact: Artifact): string {
  return `${artifact.kind} ${artifact.id} (${artifact.mimeType}, ${artifact.bytes} bytes): ${artifact.url}`;
}

function resourceLink(artifact: Artifact, name: string) {
  return { type: "resource_link" as const, uri: artifact.url, name, mimeType: artifact.mimeType };
}

/** Text a model can act on: what failed, and what to do about it. */
export function toolErrorResult(error: unknown): CallToolResult {
  const toolError = ToolError.is(error)
    ? error
    : new ToolError("internal", `The tool failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
  return {
    isError: true,
    content: [{ type: "text", text: `${toolError.code}: ${toolError.message}` }],
    _meta: {
      [RESULT_META_KEYS.errorCode]: toolError.code,
      ...(toolError.data ? { [RESULT_META_KEYS.errorData]: toolError.data } : {}),
    },
  };
}

/** How the owner of one server follows the tool calls it serves. */
export interface ToolCallHooks {
  /** A call's handler started, and returned: the owner knows when none is running. */
  started(): void;
  finished(): void;
  /**
   * Takes over holding back the answer to request `id` until `saved` resolves (or turning it into
   * the failure `saved` rejects with), so that the SDK prepares the answer while the change is
   * written. Without this hook a call waits for its change to be journaled before it returns.
   */
  holdAnswer?(id: RequestId, saved: Promise<void>): void;
}

function createRunner(deps: SceneToolDependencies) {
  const { engine } = deps;

  async function scratchPath(extension: string): Promise<string> {
    await mkdir(deps.scratchDirectory, { recursive: true });
    return join(deps.scratchDirectory, `${randomUUID()}.${extension}`);
  }

  async function renderFrame(input: Record<string, unknown>, options: CallOptions): Promise<ToolOutcome> {
    const settings = { ...RENDER_DEFAULTS, ...input };
    const output = await scratchPath("png");
    try {
      const result = (await engine.call("render_frame", { ...settings, output }, options)) as Record<string, unknown>;
      const png = await readFile(output);
      const artifact = await deps.store.put({ kind: "render", extension: "png", mimeType: "image/png", source: { bytes: png } });
      return {
        structured: { ...result, artifact },
        content: [
          { type: "image", data: png.toString("base64"), mimeType: "image/png" },
          resourceLink(artifact, "render.png"),
          { type: "text", text: `Rendered ${settings.width}x${settings.height} with ${settings.engine}. ${describeArtifact(artifact)}` },
        ],
      };
    } finally {
      await rm(output, { force: true });
    }
  }

  async function exportScene(format: ExportFormat, options: CallOptions): Promise<ToolOutcome> {
    const output = await scratchPath(format);
    const result = (await engine.call("export_scene", { format, output }, options)) as { files?: string[] };
    const files = result.files?.length ? result.files : [output];
    const stored: Artifact[] = [];
    try {
      for (const file of files) {
        const extension = file.slice(file.lastIndexOf(".") + 1).toLowerCase();
        const mimeType = extension === "mtl" ? "model/mtl" : EXPORT_MIME_TYPES[format];
        stored.push(await deps.store.put({ kind: "export", extension, mimeType, source: { filePath: file } }));
      }
    } finally {
      await Promise.all(files.map((file) => rm(file, { force: true })));
    }
    const [artifact, ...extraArtifacts] = stored as [Artifact, ...Artifact[]];
    return {
      structured: { format, artifact, extraArtifacts },
      content: [
        resourceLink(artifact, `scene.${format}`),
        { type: "text", text: `Exported the scene as ${format}. ${stored.map(describeArtifact).join("; ")}` },
      ],
    };
  }

  async function importModel(input: Record<string, unknown>, options: CallOptions): Promise<ToolOutcome> {
    const { store } = deps;
    const format = input.format as ImportFormat;
    let artifact: Artifact | undefined;
    let path: string;
    if (typeof input.data === "string") {
      const bytes = Buffer.from(input.data, "base64");
      if (bytes.length > MAX_UPLOAD_BYTES) {
        throw new ToolError("payload_too_large", `Uploads are at most ${MAX_UPLOAD_BYTES} bytes; this one is ${bytes.length}.`);
      }
      checkUpload(format, bytes);
      artifact = await store.put({ kind: "upload", extension: format, mimeType: EXPORT_MIME_TYPES[format], source: { bytes } });
      path = (await store.get(artifact.id))!.filePath;
    } else {
      const found = await store.get(input.artifactId as string);
      if (!found) {
        throw new ToolError("artifact_not_found", `No artifact ${input.artifactId}. Use an id returned by export_scene or render_frame.`);
      }
      const extension = found.artifact.id.slice(found.artifact.id.lastIndexOf(".") + 1);
      if (extension !== format) {
        throw new ToolError("unsupported_format", `Artifact ${found.artifact.id} is a .${extension} file, not ${format}.`);
      }
      checkUpload(format, await readFile(found.filePath));
      path = found.filePath;
    }
    const result = (await engine.call(
      "import_model",
      { format, path, ...(input.location ? { location: input.location } : {}) },
      options,
    )) as { objects: string[] };
    return {
      structured: { objects: result.objects, ...(artifact ? { artifact } : {}) },
      content: [{ type: "text", text: `Imported ${result.objects.length} object(s): ${result.objects.join(", ")}` }],
    };
  }

  return async function run(name: ToolName, input: Record<string, unknown>, options: CallOptions) {
    switch (name) {
      case "render_frame":
        return renderFrame(input, options);
      case "export_glb":
        return exportScene("glb", options);
      case "export_scene":
        return exportScene(input.format as ExportFormat, options);
      case "import_model":
        return importModel(input, options);
      default: {
        const { result, saved } = await engine.begin(name as BridgeCommand, toBridgeArguments(input), options);
        return { structured: result as Record<string, unknown>, saved };
      }
    }
  };
}

cacheContractSchemas(TOOL_CONTRACTS as readonly ToolContract[]);

/** Registers every scene tool of the contracts on `server`. */
export function registerSceneTools(server: McpServer, deps: SceneToolDependencies, hooks?: ToolCallHooks): void {
  const run = createRunner(deps);
  for (const contract of TOOL_CONTRACTS as readonly ToolContract[]) {
    server.registerTool(
      contract.name,
      {
        title: contract.title,
        description: contract.description,
        inputSchema: contract.inputSchema,
        outputSchema: contract.outputSchema,
        annotations: contract.annotations,
      },
      async (input: Record<string, unknown>, context: ServerContext): Promise<CallToolResult> => {
        const startedAt = performance.now();
        hooks?.started();
        deps.onCallStart?.(contract.name);
        const progressToken = context.mcpReq._meta?.progressToken;
        const { signal } = context.mcpReq;
        const onProgress = (progress: Progress) => {
          // Once the exchange is closed (the client went away) there is no one to tell.
          if (progressToken === undefined || signal.aborted) return;
          context.mcpReq.notify({ method: "notifications/progress", params: { progressToken, ...progress } }).catch(() => {});
        };
        const ended = (outcome: "ok" | "error") => deps.onCallEnd?.(contract.name, outcome, performance.now() - startedAt);
        // Blender's own share of the call, so a client can tell it from the rest of the round trip.
        let blenderMs: number | undefined;
        const onBlenderTime = (ms: number) => {
          blenderMs = (blenderMs ?? 0) + ms;
        };
        const timing = () =>
          blenderMs === undefined ? {} : { _meta: { [RESULT_META_KEYS.blenderMs]: Math.round(blenderMs * 1000) / 1000 } };
        try {
          const outcome = await run(contract.name as ToolName, input, { signal, onProgress, onBlenderTime });
          if (outcome.saved && hooks?.holdAnswer) {
            hooks.holdAnswer(context.mcpReq.id, outcome.saved);
            outcome.saved.then(
              () => ended("ok"),
              () => ended("error"),
            );
          } else {
            await outcome.saved;
            ended("ok");
          }
          return {
            structuredContent: outcome.structured,
            content: outcome.content ?? [{ type: "text", text: JSON.stringify(outcome.structured) }],
            ...timing(),
          };
        } catch (error) {
          ended("error");
          const failure = toolErrorResult(error);
          return { ...failure, _meta: { ...failure._meta, ...timing()._meta } };
        } finally {
          hooks?.finished();
        }
      },
    );
  }
}
