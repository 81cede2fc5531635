// An LLM as the Reasoner, through the Vercel AI SDK: OpenAI-compatible endpoints (OpenAI, Ollama,
// vLLM, llama.cpp server) or Anthropic, chosen by configuration. The model sees the tools of the
// contracts (no Blender needed to know them) and, on later steps, the results and errors of the
// calls it asked for. Slow, unreachable or malformed answers become a ReasonerError with a message
// for the person in the chat; a stalled stream is cut by timeouts, never waited on forever.
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { SCRIPT_TOOL_NAMES, TOOL_CONTRACTS, type ToolContract, toolJsonSchema } from "@bod/contracts";
import {
  APICallError,
  JSONParseError,
  type JSONSchema7,
  jsonSchema,
  type LanguageModel,
  type ModelMessage,
  NoSuchToolError,
  RetryError,
  streamText,
  type ToolSet,
  tool,
} from "ai";
import { ReasonerError } from "../errors/reasoner-error.ts";
import type { ProposedToolCall, Reasoner, ReasonerDecision, ReasonerInput } from "../reasoner.ts";
import type { ToolCallRecord } from "../turn-records.ts";
import { SYSTEM_INSTRUCTIONS, summarizeScene } from "./instructions.ts";

export const LLM_PROVIDERS = ["openai-compatible", "anthropic"] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

export interface LlmConfig {
  provider: LlmProvider;
  /** The model id: "gpt-4o-mini", "llama3.1", "claude-sonnet-4-5", ... */
  model: string;
  /** API base URL, e.g. http://127.0.0.1:11434/v1 for Ollama; required for openai-compatible. */
  baseURL?: string;
  apiKey?: string;
  /** Extra headers for every request to the provider. */
  headers?: Record<string, string>;
  /** Milliseconds until the model's first output of a step; default 60 000. */
  firstChunkTimeoutMs?: number;
  /** Longest silence between two chunks of output, in milliseconds; default 30 000. */
  chunkTimeoutMs?: number;
  /** Longest time for one step (one model answer), in milliseconds; default 180 000. */
  stepTimeoutMs?: number;
  /** Retries of a failed request (HTTP 429/5xx, connection errors); default 1. */
  maxRetries?: number;
  /** Steps in a row in which every tool call was malformed before giving up; default 3. */
  maxMalformedSteps?: number;
  temperature?: number;
  /** The fetch to use (tests, proxies). */
  fetch?: typeof globalThis.fetch;
}

/** Builds the AI SDK language model a config names. */
export function createLanguageModel(config: LlmConfig): LanguageModel {
  const fetchOption = config.fetch ? { fetch: config.fetch } : {};
  if (config.provider === "anthropic") {
    return createAnthropic({
      ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      ...(config.baseURL ? { baseURL: config.baseURL } : {}),
      ...(config.headers ? { headers: config.headers } : {}),
      ...fetchOption,
    })(config.model);
  }
  if (!config.baseURL)
    throw new Error("An openai-compatible provider needs a baseURL (e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1).");
  return createOpenAICompatible({
    name: "openai-compatible",
    baseURL: config.baseURL,
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ...(config.headers ? { headers: config.headers } : {}),
    ...fetchOption,
  }).chatModel(config.model);
}

/** Drops what some local servers cannot compile (llama.cpp turns schemas into grammars): Unicode-class patterns. */
function portableSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(portableSchema);
  if (typeof value !== "object" || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (key === "pattern" && typeof entry === "string" && entry.includes("\\p{")) continue;
    result[key] = portableSchema(entry);
  }
  return result;
}

/**
 * The scene tools as AI SDK tools, from the contracts, with the JSON Schema every provider accepts
 * (`toolJsonSchema`, the same the worker lists; docs/tool-schemas.md). Tools are sent without
 * `strict`: optional arguments stay optional rather than required-and-nullable, as strict modes
 * would need. No `execute`: the agent makes the calls, and checks each one against its contract
 * first (so a call the model gets wrong comes back to it as an invalid_arguments error).
 * `run_script` is offered only where the operator allowed scripts: elsewhere the workers do not
 * list it, and a model offered it would keep reaching for it.
 */
export function contractTools(options: { allowScripts?: boolean } = {}): ToolSet {
  const tools: ToolSet = {};
  for (const contract of TOOL_CONTRACTS as readonly ToolContract[]) {
    if (SCRIPT_TOOL_NAMES.has(contract.name) && !options.allowScripts) continue;
    const schema = portableSchema(toolJsonSchema(contract.inputSchema, "input")) as JSONSchema7;
    tools[contract.name] = tool({ description: contract.description, inputSchema: jsonSchema(schema) });
  }
  return tools;
}

const MAX_RESULT_CHARACTERS = 6000;

function resultForModel(record: ToolCallRecord): { type: "text"; value: string } | { type: "error-text"; value: string } {
  if (record.error) return { type: "error-text", value: `${record.error.code}: ${record.error.message}` };
  const text = typeof record.result === "string" ? record.result : JSON.stringify(record.result);
  return { type: "text", value: text.length > MAX_RESULT_CHARACTERS ? `${text.slice(0, MAX_RESULT_CHARACTERS)}… (truncated)` : text };
}

/** The conversation as model messages: earlier turns as text, this turn's steps as tool calls and results. */
export function toModelMessages(input: ReasonerInput): ModelMessage[] {
  const messages: ModelMessage[] = [];
  for (const message of input.history) {
    if (message.role === "user") messages.push({ role: "user", content: message.text });
    else {
      const calls = message.toolCalls.map((call) => `${call.name}${call.error ? " (failed)" : ""}`);
      messages.push({ role: "assistant", content: calls.length > 0 ? `${message.text}\n[tools used: ${calls.join(", ")}]` : message.text });
    }
  }
  messages.push({ role: "user", content: input.text });
  for (const step of input.steps) {
    messages.push({
      role: "assistant",
      content: [
        ...(step.text ? [{ type: "text" as const, text: step.text }] : []),
        ...step.toolCalls.map((call) => ({
          type: "tool-call" as const,
          toolCallId: call.id,
          toolName: call.name,
          input: typeof call.arguments === "object" && call.arguments !== null ? call.arguments : {},
        })),
      ],
    });
    messages.push({
      role: "tool",
      content: step.toolCalls.map((call) => ({
        type: "tool-result" as const,
        toolCallId: call.id,
        toolName: call.name,
        output: resultForModel(call),
      })),
    });
  }
  return messages;
}

function trailingMalformedSteps(input: ReasonerInput): number {
  let count = 0;
  for (let index = input.steps.length - 1; index >= 0; index--) {
    const calls = input.steps[index]!.toolCalls;
    if (calls.length > 0 && calls.every((call) => call.error && /^(?:invalid_arguments|unknown_tool|skipped)$/.test(call.error.code)))
      count++;
    else break;
  }
  return count;
}

function describeCause(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.join(": ");
}

/** A short reason a tool call from the model cannot be made, written for the model to fix it. */
export function describeInvalidCall(toolName: string, error: unknown): string {
  const chain: unknown[] = [];
  for (let current = error, depth = 0; current !== undefined && depth < 6; depth++) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  const names = Object.keys(contractTools());
  if (chain.some((entry) => NoSuchToolError.isInstance(entry)) || !names.includes(toolName)) {
    return `There is no tool named "${toolName}". The tools are: ${names.join(", ")}.`;
  }
  if (chain.some((entry) => JSONParseError.isInstance(entry))) {
    return `The arguments of ${toolName} are not valid JSON. Send the call again with a JSON object that matches the tool's schema.`;
  }
  const withIssues = chain.find(
    (entry): entry is { issues: Array<{ path?: unknown[]; message: string }> } =>
      typeof entry === "object" && entry !== null && Array.isArray((entry as { issues?: unknown }).issues),
  );
  if (withIssues) {
    const issues = withIssues.issues.map((issue) => `${(issue.path ?? []).join(".") || "input"}: ${issue.message}`).join("; ");
    return `Invalid arguments for ${toolName}: ${issues}`;
  }
  const first = chain[0] instanceof Error ? chain[0].message.split("\n")[0] : String(error);
  return `Invalid arguments for ${toolName}: ${first}`;
}

/** Turns whatever the SDK threw into a ReasonerError the user can read. */
function toReasonerError(
  error: unknown,
  where: string,
  timedOut: "first-chunk" | "chunk" | "step" | undefined,
  config: LlmConfig,
): ReasonerError {
  if (ReasonerError.is(error)) return error;
  if (timedOut) {
    const seconds =
      (timedOut === "first-chunk"
        ? (config.firstChunkTimeoutMs ?? 60_000)
        : timedOut === "chunk"
          ? (config.chunkTimeoutMs ?? 30_000)
          : (config.stepTimeoutMs ?? 180_000)) / 1000;
    const what =
      timedOut === "first-chunk"
        ? "did not start answering"
        : timedOut === "chunk"
          ? "stopped answering mid-way"
          : "did not finish answering";
    return new ReasonerError("provider_timeout", `The language model at ${where} ${what} within ${seconds} s.`, { cause: error });
  }
  if (RetryError.isInstance(error) && error.lastError !== undefined) return toReasonerError(error.lastError, where, timedOut, config);
  const text = describeCause(error);
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|fetch failed|ECONNRESET|socket hang up|Cannot connect/i.test(text)) {
    return new ReasonerError("provider_unavailable", `Could not reach the language model at ${where}: ${text}`, { cause: error });
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === 401 || status === 403)
      return new ReasonerError("provider_error", `The language model at ${where} refused the API key (HTTP ${status}).`, { cause: error });
    if (status === 404)
      return new ReasonerError("provider_error", `The language model at ${where} does not know the model "${config.model}" (HTTP 404).`, {
        cause: error,
      });
    if (status === undefined || status === 408 || status === 429 || status >= 500) {
      return new ReasonerError(
        "provider_unavailable",
        `The language model at ${where} is unavailable${status ? ` (HTTP ${status})` : ""}: ${error.message}`,
        { cause: error },
      );
    }
    return new ReasonerError("provider_error", `The language model at ${where} rejected the request (HTTP ${status}): ${error.message}`, {
      cause: error,
    });
  }
  if (/JSON|parse|Type validation|Invalid JSON|unexpected/i.test(text)) {
    return new ReasonerError(
      "malformed_response",
      `The language model at ${where} sent an answer I could not read: ${text.split("\n")[0]}`,
      { cause: error },
    );
  }
  return new ReasonerError("provider_error", `The language model at ${where} failed: ${text}`, { cause: error });
}

export interface LlmReasonerOptions extends LlmConfig {
  /** A ready model (tests, custom providers); otherwise built from the config. */
  languageModel?: LanguageModel;
  /** The workers run scripts (`--allow-scripts`): offer run_script to the model. Default false. */
  allowScripts?: boolean;
}

export function createLlmReasoner(options: LlmReasonerOptions): Reasoner {
  const model = options.languageModel ?? createLanguageModel(options);
  const tools = contractTools({ allowScripts: options.allowScripts ?? false });
  const where = options.baseURL ?? options.provider;
  const firstChunkTimeoutMs = options.firstChunkTimeoutMs ?? 60_000;
  const chunkTimeoutMs = options.chunkTimeoutMs ?? 30_000;
  const stepTimeoutMs = options.stepTimeoutMs ?? 180_000;
  const maxMalformedSteps = options.maxMalformedSteps ?? 3;

  return {
    name: `${options.provider}:${options.model}`,
    async decide(input, { signal }): Promise<ReasonerDecision> {
      if (trailingMalformedSteps(input) >= maxMalformedSteps) {
        const last = input.steps[input.steps.length - 1]?.toolCalls.find((call) => call.error)?.error?.message ?? "";
        throw new ReasonerError("malformed_response", `The language model kept sending tool calls that are not valid (${last}).`);
      }
      // One watchdog for all three budgets, so a stalled stream is cut even if the provider never errors.
      const watchdog = new AbortController();
      let timedOut: "first-chunk" | "chunk" | "step" | undefined;
      let idleTimer: ReturnType<typeof setTimeout> | undefined;
      const arm = (kind: "first-chunk" | "chunk", ms: number) => {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => {
          timedOut = kind;
          watchdog.abort(new Error(`${kind} timeout`));
        }, ms);
      };
      const stepTimer = setTimeout(() => {
        timedOut = "step";
        watchdog.abort(new Error("step timeout"));
      }, stepTimeoutMs);
      const abortSignal = AbortSignal.any([signal, watchdog.signal]);
      arm("first-chunk", firstChunkTimeoutMs);
      let text = "";
      const toolCalls: ProposedToolCall[] = [];
      try {
        const result = streamText({
          model,
          instructions: `${SYSTEM_INSTRUCTIONS}\n\n${summarizeScene(input.context)}`,
          messages: toModelMessages(input),
          tools,
          toolChoice: "auto",
          abortSignal,
          maxRetries: options.maxRetries ?? 1,
          // Errors arrive as stream parts and are turned into a ReasonerError below; no console logging.
          onError: () => {},
          ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
        });
        let started = false;
        for await (const part of result.stream) {
          if (
            part.type === "text-delta" ||
            part.type === "tool-input-delta" ||
            part.type === "tool-call" ||
            part.type === "reasoning-delta"
          ) {
            started = true;
            arm("chunk", chunkTimeoutMs);
          } else if (started) arm("chunk", chunkTimeoutMs);
          switch (part.type) {
            case "text-delta":
              text += part.text;
              break;
            case "tool-call": {
              const invalid = (part as { invalid?: boolean; error?: unknown }).invalid === true;
              const error = (part as { error?: unknown }).error;
              toolCalls.push({
                id: part.toolCallId,
                name: part.toolName,
                arguments: part.input,
                ...(invalid ? { invalid: describeInvalidCall(part.toolName, error) } : {}),
              });
              break;
            }
            case "error":
              throw (part as { error: unknown }).error;
            case "abort":
              signal.throwIfAborted();
              throw new Error("aborted");
            default:
              break;
          }
        }
      } catch (error) {
        signal.throwIfAborted();
        throw toReasonerError(error, where, timedOut, options);
      } finally {
        clearTimeout(idleTimer);
        clearTimeout(stepTimer);
      }
      signal.throwIfAborted();
      if (timedOut) throw toReasonerError(new Error(`${timedOut} timeout`), where, timedOut, options);
      if (toolCalls.length === 0 && text.trim().length === 0) {
        throw new ReasonerError("malformed_response", `The language model at ${where} sent an empty answer.`);
      }
      return { text: text.trim(), toolCalls };
    },
  };
}
