// The scene tools as MCP tools: each contract from @bod/contracts becomes a registered tool
// whose handler normalises the input, runs the matching bridge command inside Blender, stores
// produced files as artifacts, and answers with structured content the output schema checks.
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Artifact,
  type ArtifactKind,
  type ExportFormat,
  IDEMPOTENCY_KEY_RULE,
  type ImportFormat,
  isIdempotencyKey,
  MAX_UPLOAD_BYTES,
  type PartialImage,
  PREVIEW_RENDER,
  PROGRESS_META_KEYS,
  RENDER_DEFAULTS,
  REQUEST_META_KEYS,
  RESULT_META_KEYS,
  SCRIPT_TOOL_NAMES,
  TOOL_CONTRACTS,
  type ToolContract,
  ToolError,
  type ToolName,
} from "@bod/contracts";
import {
  type ArtifactRecord,
  type ArtifactStore,
  ArtifactStoreUnavailableError,
  ArtifactTooLargeError,
  InvalidArtifactInputError,
} from "@bod/storage";
import type { CallToolResult, McpServer, RequestId, ServerContext } from "@modelcontextprotocol/server";
import type { BridgeCommand, BridgeProgress, CallIdempotency, SceneEngine } from "../blender/index.ts";
import { describeScriptResult, runScriptTool } from "../script/run-script-tool.ts";
import type { ResolvedScriptSandbox } from "../script/script-sandbox.ts";
import { cacheContractSchemas } from "./cached-json-schema.ts";
import type { ImageFormat } from "./image-check.ts";
import { type ImageSource, prepareImageSource } from "./image-input.ts";
import { materializeArtifact } from "./materialize-artifact.ts";
import { renderAnimation } from "./render-animation.ts";
import { requestDigest } from "./request-digest.ts";
import { risingProgress } from "./rising-progress.ts";
import { toBridgeArguments } from "./tool-input.ts";
import { checkUpload } from "./upload-check.ts";

/** Read at each call, not when the tools are registered: a pool worker's store and folders change when it is bound. */
export interface SceneToolDependencies {
  readonly engine: SceneEngine;
  readonly store: ArtifactStore;
  /** The project whose artifacts the tools store and read. */
  readonly projectId: string;
  /** Where clients of this server download an artifact (the worker's or the runtime's URL, or a file URL under stdio). */
  artifactUrl(id: string): string;
  /** Scratch folder for files Blender writes or reads; they leave it once stored, or after the call. */
  readonly scratchDirectory: string;
  /** Called around every tool call, so the worker can count in-flight work and activity. */
  onCallStart?: (tool: string) => void;
  onCallEnd?: (tool: string, outcome: "ok" | "error", durationMs: number) => void;
  /**
   * The sandbox run_script's code runs in, when the operator allows scripts (`--allow-scripts`);
   * without it run_script is not registered, so clients never see a tool that cannot work.
   */
  readonly scriptSandbox?: ResolvedScriptSandbox;
}

const EXPORT_MIME_TYPES: Record<ExportFormat, string> = {
  glb: "model/gltf-binary",
  gltf: "model/gltf+json",
  obj: "model/obj",
  stl: "model/stl",
  fbx: "application/octet-stream",
  blend: "application/x-blender",
};

/** The image formats each image-reading tool takes. */
const IMAGE_TOOL_FORMATS = {
  set_texture: ["png", "jpg"],
  set_world_hdri: ["hdr", "exr", "png", "jpg"],
} as const satisfies Record<string, readonly ImageFormat[]>;

type Progress = { progress: number; total: number; message: string; _meta?: Record<string, unknown> };
/**
 * What every engine call of one tool call is given: its cancel signal, progress, where Blender's
 * time adds up, and the idempotency key of a change that carries one.
 */
type CallOptions = {
  signal: AbortSignal;
  onProgress: (progress: Progress) => void;
  onBlenderTime: (blenderMs: number) => void;
  idempotency?: CallIdempotency;
  /** The caller asked for progress (sent a progress token): worth making images of a render in progress. */
  progressRequested: boolean;
};
type ToolOutcome = {
  structured: Record<string, unknown>;
  content?: CallToolResult["content"];
  /** When the call's change is journaled; the call is acknowledged only after. */
  saved?: Promise<void>;
  /** The call's key had been applied already: `structured` is the first call's result. */
  repeated?: boolean;
};

function describeArtifact(artifact: Artifact): string {
  return `${artifact.kind} ${artifact.id} (${artifact.mimeType}, ${artifact.bytes} bytes): ${artifact.url}`;
}

function resourceLink(artifact: Artifact, name: string) {
  return { type: "resource_link" as const, uri: artifact.url, name, mimeType: artifact.mimeType };
}

/** The tool error for a failure: the store's own errors keep their meaning (try again, too large). */
function toToolError(error: unknown): ToolError {
  if (ToolError.is(error)) return error;
  if (error instanceof ArtifactStoreUnavailableError)
    return new ToolError("storage_unavailable", error.message, {
      reason: error.reason,
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    });
  if (error instanceof ArtifactTooLargeError) return new ToolError("payload_too_large", error.message, { maxBytes: error.maxBytes });
  if (error instanceof InvalidArtifactInputError) return new ToolError("invalid_arguments", error.message, { field: error.field });
  return new ToolError("internal", `The tool failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
}

/** Text a model can act on: what failed, and what to do about it. */
export function toolErrorResult(error: unknown): CallToolResult {
  const toolError = toToolError(error);
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

  /** The artifact as tool results show it: the record plus this server's download URL. */
  function toArtifact(record: ArtifactRecord): Artifact {
    return {
      id: record.id,
      kind: record.kind,
      mimeType: record.mimeType,
      bytes: record.bytes,
      url: deps.artifactUrl(record.id),
      createdAt: record.createdAt,
    };
  }

  /** Streams a file Blender wrote into the store. */
  async function storeFile(file: string, kind: ArtifactKind, extension: string, mimeType: string): Promise<Artifact> {
    const { store, projectId } = deps;
    return toArtifact(await store.put({ projectId, kind, extension, mimeType, body: createReadStream(file) }));
  }

  async function renderFrame(input: Record<string, unknown>, options: CallOptions): Promise<ToolOutcome> {
    // The final preset reads the scene's own settings, so the bridge resolves presets; the engine of
    // a preview is known here, which tells how a cancel can stop it.
    const settings =
      input.preset === undefined ? { ...RENDER_DEFAULTS, ...input } : input.preset === "preview" ? { ...PREVIEW_RENDER, ...input } : input;
    const output = await scratchPath("png");
    // A first look is made only for a caller that listens to progress.
    const firstLookOutput = options.progressRequested ? output.replace(/\.png$/, ".first-look.png") : undefined;
    // Progress goes out in the order it came, images (read from their files first) included, and
    // all of it before the answer.
    let sent: Promise<void> = Promise.resolve();
    const onProgress = (progress: BridgeProgress) => {
      const { image, ...rest } = progress;
      if (!image) {
        sent = sent.then(() => options.onProgress(rest)).catch(() => {});
        return;
      }
      sent = sent
        .then(() => readFile(image.path))
        .then((png) => {
          const partial: PartialImage = {
            mimeType: "image/png",
            data: png.toString("base64"),
            width: image.width,
            height: image.height,
            stage: image.stage,
            ...(image.samples === undefined ? {} : { samples: image.samples }),
          };
          options.onProgress({ ...rest, _meta: { [PROGRESS_META_KEYS.partialImage]: partial } });
        })
        .catch(() => {})
        .finally(() => rm(image.path, { force: true }));
    };
    try {
      const result = (await engine.call(
        "render_frame",
        { ...settings, output, ...(firstLookOutput ? { firstLookOutput } : {}) },
        { ...options, onProgress },
      )) as Record<string, unknown>;
      // A client drops progress that comes after the answer.
      await sent;
      const png = await readFile(output);
      const { store, projectId } = deps;
      const artifact = toArtifact(await store.put({ projectId, kind: "render", extension: "png", mimeType: "image/png", body: png }));
      return {
        structured: { ...result, artifact },
        content: [
          { type: "image", data: png.toString("base64"), mimeType: "image/png" },
          resourceLink(artifact, "render.png"),
          { type: "text", text: `Rendered ${result.width}x${result.height} with ${result.engine}. ${describeArtifact(artifact)}` },
        ],
      };
    } finally {
      await sent;
      await rm(output, { force: true });
      if (firstLookOutput) await rm(firstLookOutput, { force: true });
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
        stored.push(await storeFile(file, "export", extension, mimeType));
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

  function imported(structured: Record<string, unknown>, repeated?: boolean): ToolOutcome {
    const objects = (structured.objects ?? []) as string[];
    return {
      structured,
      content: [{ type: "text", text: `Imported ${objects.length} object(s): ${objects.join(", ")}` }],
      ...(repeated ? { repeated } : {}),
    };
  }

  async function importModel(input: Record<string, unknown>, options: CallOptions): Promise<ToolOutcome> {
    const { store, projectId } = deps;
    const format = input.format as ImportFormat;
    // A repeated key answers before anything is uploaded again.
    const earlier = options.idempotency ? engine.recall(options.idempotency) : undefined;
    if (earlier) return imported(earlier.result as Record<string, unknown>, true);
    let artifact: Artifact | undefined;
    // Blender reads the model from a local file in the scratch folder, removed after the call
    // (the engine keeps its own copy for replay).
    let path: string;
    if (typeof input.data === "string") {
      const bytes = Buffer.from(input.data, "base64");
      if (bytes.length > MAX_UPLOAD_BYTES) {
        throw new ToolError("payload_too_large", `Uploads are at most ${MAX_UPLOAD_BYTES} bytes; this one is ${bytes.length}.`);
      }
      checkUpload(format, bytes);
      artifact = toArtifact(
        await store.put({
          projectId,
          kind: "upload",
          extension: format,
          mimeType: EXPORT_MIME_TYPES[format],
          body: bytes,
          maxBytes: MAX_UPLOAD_BYTES,
        }),
      );
      path = await scratchPath(format);
      await writeFile(path, bytes);
    } else {
      const id = input.artifactId as string;
      const found = await store.head(projectId, id);
      if (!found) {
        throw new ToolError("artifact_not_found", `No artifact ${id}. Use an id returned by export_scene or render_frame.`);
      }
      const extension = found.id.slice(found.id.lastIndexOf(".") + 1);
      if (extension !== format) {
        throw new ToolError("unsupported_format", `Artifact ${found.id} is a .${extension} file, not ${format}.`);
      }
      const local = await materializeArtifact(store, projectId, id, deps.scratchDirectory);
      if (!local) throw new ToolError("artifact_not_found", `No artifact ${id}. Use an id returned by export_scene or render_frame.`);
      path = local.path;
    }
    try {
      if (!artifact) checkUpload(format, await readFile(path));
      const structuredOf = (answer: unknown) => ({ objects: (answer as { objects: string[] }).objects, ...(artifact ? { artifact } : {}) });
      const { result, saved, repeated } = await engine.begin(
        "import_model",
        { format, path, ...(input.location ? { location: input.location } : {}) },
        { ...options, ...(options.idempotency ? { idempotency: { ...options.idempotency, result: structuredOf } } : {}) },
      );
      await saved;
      return repeated ? imported(result as Record<string, unknown>, true) : imported(structuredOf(result));
    } finally {
      await rm(path, { force: true });
    }
  }

  /**
   * set_texture and set_world_hdri: the image (an upload, or an artifact) goes to Blender as a
   * local file with the artifact it is; the engine keeps the file with the scene. In the call's turn
   * set_texture's object is checked first, so an upload is stored only for a call Blender can make.
   */
  async function imageTool(
    name: keyof typeof IMAGE_TOOL_FORMATS,
    input: Record<string, unknown>,
    options: CallOptions,
  ): Promise<ToolOutcome> {
    // A repeated key answers before anything is uploaded again.
    const earlier = options.idempotency ? engine.recall(options.idempotency) : undefined;
    if (earlier) return { structured: earlier.result as Record<string, unknown>, repeated: true };
    const { data: _data, artifactId: _artifactId, ...rest } = input;
    const settings = toBridgeArguments(rest);
    const prepared: { source?: ImageSource; artifact?: Artifact } = {};
    const structuredOf = (answer: unknown) => ({
      ...(answer as Record<string, unknown>),
      ...(prepared.artifact ? { artifact: prepared.artifact } : {}),
    });
    try {
      const { result, saved, repeated } = await engine.begin(name, settings, {
        ...options,
        ...(options.idempotency ? { idempotency: { ...options.idempotency, result: structuredOf } } : {}),
        prepare: async (blender) => {
          if (name === "set_texture") await blender.call("check_texture", settings);
          const source = await prepareImageSource(deps, input, IMAGE_TOOL_FORMATS[name]);
          prepared.source = source;
          if (source.uploaded) prepared.artifact = toArtifact(source.uploaded);
          return { args: { ...settings, artifactId: source.artifactId, path: source.path } };
        },
      });
      await saved;
      return repeated ? { structured: result as Record<string, unknown>, repeated } : { structured: structuredOf(result) };
    } finally {
      await prepared.source?.remove();
    }
  }

  return async function run(name: ToolName, input: Record<string, unknown>, options: CallOptions) {
    switch (name) {
      case "render_frame":
        return renderFrame(input, options);
      case "render_animation": {
        const outcome: ToolOutcome = await renderAnimation({ ...deps, toArtifact }, input, options);
        return outcome;
      }
      case "export_glb":
        return exportScene("glb", options);
      case "export_scene":
        return exportScene(input.format as ExportFormat, options);
      case "import_model":
        return importModel(input, options);
      case "set_texture":
      case "set_world_hdri":
        return imageTool(name, input, options);
      case "run_script": {
        const sandbox = deps.scriptSandbox;
        if (!sandbox)
          throw new ToolError("invalid_arguments", "run_script is off on this worker; its operator starts it with --allow-scripts.");
        const scriptInput = input as { code: string; timeoutSeconds?: number };
        const ran = await runScriptTool({ engine, sandbox, scratchDirectory: deps.scratchDirectory }, scriptInput, options);
        const outcome: ToolOutcome = {
          structured: ran.structured,
          content: [{ type: "text", text: describeScriptResult(ran.structured) }],
          saved: ran.saved,
          ...(ran.repeated ? { repeated: true } : {}),
        };
        return outcome;
      }
      default: {
        const { result, saved, repeated } = await engine.begin(name as BridgeCommand, toBridgeArguments(input), options);
        return { structured: result as Record<string, unknown>, saved, ...(repeated ? { repeated } : {}) };
      }
    }
  };
}

cacheContractSchemas(TOOL_CONTRACTS as readonly ToolContract[]);

/** Registers every scene tool of the contracts on `server`. */
export function registerSceneTools(server: McpServer, deps: SceneToolDependencies, hooks?: ToolCallHooks): void {
  const run = createRunner(deps);
  for (const contract of TOOL_CONTRACTS as readonly ToolContract[]) {
    // Scripts are listed only where the operator allows them: a model plans with what it is shown.
    if (SCRIPT_TOOL_NAMES.has(contract.name) && !deps.scriptSandbox) continue;
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
        const onProgress = risingProgress((progress: Progress) => {
          // Once the exchange is closed (the client went away) there is no one to tell.
          if (progressToken === undefined || signal.aborted) return;
          context.mcpReq.notify({ method: "notifications/progress", params: { progressToken, ...progress } }).catch(() => {});
        });
        const ended = (outcome: "ok" | "error") => deps.onCallEnd?.(contract.name, outcome, performance.now() - startedAt);
        // Blender's own share of the call, so a client can tell it from the rest of the round trip.
        let blenderMs: number | undefined;
        const onBlenderTime = (ms: number) => {
          blenderMs = (blenderMs ?? 0) + ms;
        };
        const timing = () =>
          blenderMs === undefined ? {} : { _meta: { [RESULT_META_KEYS.blenderMs]: Math.round(blenderMs * 1000) / 1000 } };
        try {
          const key = context.mcpReq._meta?.[REQUEST_META_KEYS.idempotencyKey];
          if (key !== undefined && !isIdempotencyKey(key))
            throw new ToolError("invalid_arguments", IDEMPOTENCY_KEY_RULE, { field: `_meta.${REQUEST_META_KEYS.idempotencyKey}` });
          // Only changes keep their key: anything else may simply run again.
          const idempotency =
            key !== undefined && contract.mutatesScene ? { key, request: requestDigest(contract.name, input) } : undefined;
          const outcome = await run(contract.name as ToolName, input, {
            signal,
            onProgress,
            onBlenderTime,
            progressRequested: progressToken !== undefined,
            ...(idempotency ? { idempotency } : {}),
          });
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
          const meta = { ...timing()._meta, ...(outcome.repeated ? { [RESULT_META_KEYS.repeated]: true } : {}) };
          return {
            structuredContent: outcome.structured,
            content: outcome.content ?? [{ type: "text", text: JSON.stringify(outcome.structured) }],
            ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}),
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
