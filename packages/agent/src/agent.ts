// The agent's turn loop: load the conversation, ask the reasoner for the next step, validate and
// make its tool calls through the tool client, repeat until it replies or the step budget runs
// out, then store the turn. Every step is reported as an event while it happens.
import { randomUUID } from "node:crypto";
import { findToolContract, MAX_MESSAGE_CHARS, type PartialImage } from "@bod/contracts";
import { ReasonerError } from "./errors/reasoner-error.ts";
import { ToolClientError } from "./errors/tool-client-error.ts";
import type { ProposedToolCall, Reasoner, TurnStep } from "./reasoner.ts";
import { applyToolResult, emptyScene } from "./scene.ts";
import type { AgentStore, ProjectContext } from "./store/conversation-store.ts";
import type { ToolCallOutcome, ToolClient } from "./tool-client.ts";
import type { ToolCallRecord, TurnArtifact } from "./turn-records.ts";

export type TurnStatus = "completed" | "failed" | "cancelled" | "step-limit";

/** Events of a turn, in the order they happen; the gateway streams them as SSE. */
export type AgentEvent =
  | { type: "turn-start"; turnId: string; projectId: string; text: string; reasoner: string; at: string }
  | {
      type: "plan";
      turnId: string;
      step: number;
      text?: string;
      toolCalls: Array<{ id: string; name: string; arguments: unknown }>;
      /** Milliseconds the reasoner took to decide this step. */
      reasoningMs: number;
    }
  | { type: "tool-call-start"; turnId: string; id: string; name: string; arguments: unknown }
  | {
      type: "progress";
      turnId: string;
      id: string;
      name: string;
      progress: number;
      total?: number;
      message?: string;
      /** An image of the render so far (its first look), shown until the finished render replaces it. */
      image?: PartialImage;
    }
  | {
      type: "tool-call-end";
      turnId: string;
      id: string;
      name: string;
      durationMs: number;
      isError: boolean;
      result?: unknown;
      error?: { code: string; message: string };
      artifacts: TurnArtifact[];
    }
  | { type: "reply"; turnId: string; text: string }
  | { type: "error"; turnId: string; code: string; message: string }
  | { type: "turn-end"; turnId: string; status: TurnStatus; durationMs: number; timings: TurnTimings };

/** Where a turn's time went, in milliseconds: deciding (reasoner) and calling tools (worker, runtime, Blender). */
export interface TurnTimings {
  totalMs: number;
  reasoningMs: number;
  toolMs: number;
}

export type AgentEventType = AgentEvent["type"];

export interface TurnResult {
  turnId: string;
  status: TurnStatus;
  timings: TurnTimings;
  reply: string;
  toolCalls: ToolCallRecord[];
  artifacts: TurnArtifact[];
  /** Set when the turn failed or was cancelled. */
  error?: { code: string; message: string };
}

export interface RunTurnOptions {
  projectId: string;
  text: string;
  signal?: AbortSignal;
  onEvent?: (event: AgentEvent) => void;
}

export interface Agent {
  runTurn(options: RunTurnOptions): Promise<TurnResult>;
}

export interface AgentOptions {
  reasoner: Reasoner;
  toolClient: ToolClient;
  store: AgentStore;
  /** Most reasoner steps (each a round of tool calls) per turn; default 8. */
  maxSteps?: number;
  /** Earlier messages handed to the reasoner; default 20. */
  historyLimit?: number;
  /** Per-call time budget without progress, in milliseconds; default: the tool contract's plus `wakeAllowanceMs`. */
  toolTimeoutMs?: number;
  /** Extra time a call may take because the project's Blender is waking up (the runtime holds the call); default 90 000. */
  wakeAllowanceMs?: number;
  /** Clock for event times and durations (tests inject one). */
  now?: () => number;
  /** Turn ids (tests inject one); default random UUIDs. */
  createId?: () => string;
  /**
   * Whether a turn that changed the scene without rendering it ends with a quick preview render
   * (render_frame preset "preview", recorded as an artifact of kind "preview"); default true.
   */
  previewAfterChanges?: boolean;
}

/** The tool call id of the preview a turn ends with. */
export const PREVIEW_CALL_ID = "preview";

/** The artifact kind of that preview's image. */
export const PREVIEW_ARTIFACT_KIND = "preview";

/** Tools whose call shows the user the scene, so a turn that made one needs no preview. */
const RENDERING_TOOLS: ReadonlySet<string> = new Set(["render_frame", "render_animation"]);

/**
 * Whether a turn whose calls were `records` should end with a preview: it changed the scene (a
 * change succeeded) and did not render it (no render was asked for, whatever became of it).
 */
export function needsPreview(records: readonly ToolCallRecord[]): boolean {
  if (records.some((record) => RENDERING_TOOLS.has(record.name) && record.error?.code !== "skipped")) return false;
  return records.some((record) => record.error === undefined && findToolContract(record.name)?.mutatesScene === true);
}

/** A message the agent will not reason about (empty, too long); stays inside the turn loop. */
class InvalidMessage extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidMessage";
  }
}

function collectArtifacts(outcome: ToolCallOutcome, toolCallId: string): TurnArtifact[] {
  const found: TurnArtifact[] = [];
  const add = (value: unknown) => {
    if (typeof value !== "object" || value === null) return;
    const artifact = value as Record<string, unknown>;
    if (typeof artifact.url !== "string" || typeof artifact.mimeType !== "string") return;
    if (found.some((entry) => entry.url === artifact.url)) return;
    found.push({
      kind: typeof artifact.kind === "string" ? artifact.kind : "file",
      mimeType: artifact.mimeType,
      url: artifact.url,
      ...(typeof artifact.id === "string" ? { id: artifact.id } : {}),
      ...(typeof artifact.bytes === "number" ? { bytes: artifact.bytes } : {}),
      toolCallId,
    });
  };
  const structured = outcome.structuredContent as Record<string, unknown> | undefined;
  if (structured && typeof structured === "object") {
    add(structured.artifact);
    if (Array.isArray(structured.extraArtifacts)) for (const extra of structured.extraArtifacts) add(extra);
  }
  for (const block of outcome.content) {
    if (block.type === "resource_link" && typeof block.uri === "string" && !found.some((entry) => entry.url === block.uri)) {
      found.push({
        kind: "file",
        mimeType: typeof block.mimeType === "string" ? block.mimeType : "application/octet-stream",
        url: block.uri,
        toolCallId,
      });
    }
  }
  return found;
}

/** Error codes of calls that may have reached the worker without an answer coming back. */
const UNCERTAIN_CODES = new Set(["timeout", "protocol", "cancelled"]);

function describeCall(record: ToolCallRecord): string {
  const args = record.arguments as Record<string, unknown> | undefined;
  const target = typeof args?.name === "string" ? ` ${args.name}` : typeof args?.type === "string" ? ` ${args.type}` : "";
  return `${record.name}${target}`;
}

/**
 * What the turn changed, for replies after a failure: "Already applied to the scene: add_object Cube.",
 * plus the changes that may or may not have happened because no answer came back.
 */
export function describeApplied(records: readonly ToolCallRecord[]): string {
  const mutating = records.filter((record) => findToolContract(record.name)?.mutatesScene);
  const applied = mutating.filter((record) => record.error === undefined);
  const uncertain = mutating.filter((record) => record.error && UNCERTAIN_CODES.has(record.error.code));
  const parts = [
    applied.length === 0
      ? "Nothing in the scene was changed for sure."
      : `Already applied to the scene: ${applied.map(describeCall).join(", ")}.`,
  ];
  if (uncertain.length > 0)
    parts.push(
      `No answer came for ${uncertain.map(describeCall).join(", ")}; call get_scene (or ask what is in the scene) to see whether it took effect.`,
    );
  if (applied.length === 0 && uncertain.length === 0) return "Nothing in the scene was changed.";
  return parts.join(" ");
}

function linkSignals(signal: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  return controller;
}

export function createAgent(options: AgentOptions): Agent {
  const { reasoner, toolClient, store } = options;
  const maxSteps = Math.max(1, options.maxSteps ?? 8);
  const historyLimit = options.historyLimit ?? 20;
  const now = options.now ?? (() => Date.now());
  const createId = options.createId ?? (() => randomUUID());

  async function makeCall(
    turnId: string,
    projectId: string,
    call: ProposedToolCall,
    signal: AbortSignal,
    emit: (event: AgentEvent) => void,
    context: ProjectContext,
  ): Promise<{ record: ToolCallRecord; artifacts: TurnArtifact[] }> {
    const startedAt = now();
    const fail = (code: string, message: string) => {
      const record: ToolCallRecord = {
        id: call.id,
        name: call.name,
        arguments: call.arguments,
        error: { code, message },
        durationMs: now() - startedAt,
      };
      return record;
    };
    const contract = findToolContract(call.name);
    let record: ToolCallRecord;
    let artifacts: TurnArtifact[] = [];
    emit({ type: "tool-call-start", turnId, id: call.id, name: call.name, arguments: call.arguments });
    if (call.invalid !== undefined) record = fail("invalid_arguments", call.invalid);
    else if (!contract) record = fail("unknown_tool", `There is no tool named "${call.name}".`);
    else {
      const parsed = contract.inputSchema.safeParse(call.arguments ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "input"}: ${issue.message}`).join("; ");
        record = fail("invalid_arguments", `Invalid arguments for ${call.name}: ${issues}`);
      } else {
        try {
          const outcome = await toolClient.callTool(
            { projectId, name: call.name, arguments: (call.arguments ?? {}) as Record<string, unknown> },
            {
              signal,
              timeoutMs: options.toolTimeoutMs ?? contract.timeoutMs + (options.wakeAllowanceMs ?? 90_000),
              onProgress: (progress) => emit({ type: "progress", turnId, id: call.id, name: call.name, ...progress }),
            },
          );
          artifacts = collectArtifacts(outcome, call.id);
          if (outcome.isError) {
            // The worker writes "code: message"; keep the code apart from the message.
            const prefix = /^([a-z_]+): /.exec(outcome.text);
            const code = outcome.errorCode ?? prefix?.[1] ?? "tool_error";
            const message = prefix && prefix[1] === code ? outcome.text.slice(prefix[0].length) : outcome.text;
            record = fail(code, message || `${call.name} failed.`);
          } else {
            record = {
              id: call.id,
              name: call.name,
              arguments: call.arguments,
              result: outcome.structuredContent ?? outcome.text,
              durationMs: now() - startedAt,
            };
            context.scene = applyToolResult(context.scene ?? emptyScene(), call.name, call.arguments, outcome.structuredContent);
            context.sceneSeenAt = new Date(now()).toISOString();
          }
        } catch (error) {
          if (ToolClientError.is(error)) record = fail(error.code, error.message);
          else record = fail("internal", error instanceof Error ? error.message : String(error));
        }
      }
    }
    emit({
      type: "tool-call-end",
      turnId,
      id: call.id,
      name: call.name,
      durationMs: record.durationMs,
      isError: record.error !== undefined,
      ...(record.error ? { error: record.error } : { result: record.result }),
      artifacts,
    });
    return { record, artifacts };
  }

  async function runTurnNow({ projectId, text, signal, onEvent }: RunTurnOptions, turnId: string): Promise<TurnResult> {
    const startedAt = now();
    const emit = (event: AgentEvent) => {
      try {
        onEvent?.(event);
      } catch {
        // A listener's failure must not break the turn.
      }
    };
    const controller = linkSignals(signal);
    const toolCalls: ToolCallRecord[] = [];
    const artifacts: TurnArtifact[] = [];
    const steps: TurnStep[] = [];
    let status: TurnStatus = "completed";
    let reasoningMs = 0;
    let reply = "";
    let error: TurnResult["error"];

    emit({ type: "turn-start", turnId, projectId, text, reasoner: reasoner.name, at: new Date(startedAt).toISOString() });
    const history = await store.listMessages(projectId, { limit: historyLimit });
    const context = await store.getContext(projectId);
    // Reasoners see the context as it was when the turn began; the turn's own effects are in `steps`.
    const contextAtStart = structuredClone(context);
    await store.appendMessage({ projectId, turnId, role: "user", text, toolCalls: [], artifacts: [] });

    try {
      if (text.trim().length === 0) throw new InvalidMessage("The message is empty; tell me what to do with the scene.");
      if (text.length > MAX_MESSAGE_CHARS) throw new InvalidMessage(`The message is too long (at most ${MAX_MESSAGE_CHARS} characters).`);
      let finished = false;
      for (let step = 0; step < maxSteps && !finished; step++) {
        controller.signal.throwIfAborted();
        const decideStartedAt = now();
        const decision = await reasoner
          .decide({ projectId, text, history, context: contextAtStart, steps }, { signal: controller.signal })
          .finally(() => {
            reasoningMs += now() - decideStartedAt;
          });
        controller.signal.throwIfAborted();
        if (decision.toolCalls.length === 0) {
          reply = decision.text?.trim() || "Done.";
          finished = true;
          break;
        }
        emit({
          type: "plan",
          turnId,
          step,
          reasoningMs: now() - decideStartedAt,
          ...(decision.text ? { text: decision.text } : {}),
          toolCalls: decision.toolCalls.map((call) => ({ id: call.id, name: call.name, arguments: call.arguments })),
        });
        const records: ToolCallRecord[] = [];
        let failed = false;
        for (const call of decision.toolCalls) {
          if (failed) {
            // Later calls may depend on the failed one: leave them for the reasoner to redo.
            records.push({
              id: call.id,
              name: call.name,
              arguments: call.arguments,
              error: { code: "skipped", message: "Not run because an earlier call in the same step failed." },
              durationMs: 0,
            });
            continue;
          }
          controller.signal.throwIfAborted();
          const made = await makeCall(turnId, projectId, call, controller.signal, emit, context);
          records.push(made.record);
          artifacts.push(...made.artifacts);
          if (made.record.error) {
            failed = true;
            if (made.record.error.code === "cancelled") controller.signal.throwIfAborted();
          }
        }
        toolCalls.push(...records);
        steps.push({ ...(decision.text ? { text: decision.text } : {}), toolCalls: records });
      }
      if (!finished) {
        status = "step-limit";
        error = { code: "step_limit", message: `Stopped after ${maxSteps} steps, the most one message may take.` };
        reply = `I stopped after ${maxSteps} steps, the most one message may take. ${describeApplied(toolCalls)}`;
        emit({ type: "error", turnId, ...error });
      }
    } catch (caught) {
      if (controller.signal.aborted) {
        status = "cancelled";
        error = { code: "cancelled", message: "The turn was cancelled." };
        reply = `Cancelled. ${describeApplied(toolCalls)}`;
      } else if (caught instanceof InvalidMessage) {
        status = "failed";
        error = { code: "invalid_message", message: caught.message };
        reply = caught.message;
      } else if (ReasonerError.is(caught)) {
        status = "failed";
        error = { code: caught.code, message: caught.message };
        reply = `${caught.message} ${describeApplied(toolCalls)}`;
      } else {
        status = "failed";
        error = { code: "internal", message: caught instanceof Error ? caught.message : String(caught) };
        reply = `Something went wrong: ${error.message} ${describeApplied(toolCalls)}`;
      }
      emit({ type: "error", turnId, ...error });
    }

    // The user sees what the turn did without asking for a render: a quick preview, made only
    // when the turn completed, changed something, and showed nothing yet.
    if (status === "completed" && (options.previewAfterChanges ?? true) && needsPreview(toolCalls)) {
      const preview = await makeCall(
        turnId,
        projectId,
        { id: PREVIEW_CALL_ID, name: "render_frame", arguments: { preset: "preview" } },
        controller.signal,
        emit,
        context,
      );
      toolCalls.push(preview.record);
      artifacts.push(...preview.artifacts.map((artifact) => ({ ...artifact, kind: PREVIEW_ARTIFACT_KIND })));
    }

    const touched = toolCalls
      .filter((record) => record.error === undefined && findToolContract(record.name)?.mutatesScene)
      .map((record) => {
        const result = record.result as { object?: { name?: unknown }; light?: { name?: unknown } } | undefined;
        return result?.object?.name ?? result?.light?.name;
      })
      .filter((name): name is string => typeof name === "string");
    if (touched.length > 0) context.focus = [...new Set(touched)];
    context.artifacts = [...context.artifacts, ...artifacts];
    await store.appendMessage({ projectId, turnId, role: "assistant", text: reply, toolCalls, artifacts });
    await store.saveContext(projectId, context);
    emit({ type: "reply", turnId, text: reply });
    const toolMs = toolCalls.reduce((sum, call) => sum + call.durationMs, 0);
    const timings: TurnTimings = { totalMs: now() - startedAt, reasoningMs, toolMs };
    emit({ type: "turn-end", turnId, status, durationMs: timings.totalMs, timings });
    return { turnId, status, timings, reply, toolCalls, artifacts, ...(error ? { error } : {}) };
  }

  // One turn at a time per project: a second message waits for the first to finish, so both see a
  // consistent scene and conversation. Turns of different projects run side by side.
  const queues = new Map<string, Promise<unknown>>();

  return {
    async runTurn(options) {
      const turnId = createId();
      const previous = queues.get(options.projectId) ?? Promise.resolve();
      const turn = previous
        .catch(() => {})
        .then(() => {
          if (options.signal?.aborted) {
            const reply = "Cancelled before it started. Nothing in the scene was changed.";
            options.onEvent?.({ type: "reply", turnId, text: reply });
            const timings: TurnTimings = { totalMs: 0, reasoningMs: 0, toolMs: 0 };
            options.onEvent?.({ type: "turn-end", turnId, status: "cancelled", durationMs: 0, timings });
            return {
              turnId,
              status: "cancelled" as const,
              timings,
              reply,
              toolCalls: [],
              artifacts: [],
              error: { code: "cancelled", message: "The turn was cancelled." },
            };
          }
          return runTurnNow(options, turnId);
        });
      queues.set(options.projectId, turn);
      try {
        return await turn;
      } finally {
        if (queues.get(options.projectId) === turn) queues.delete(options.projectId);
      }
    },
  };
}
