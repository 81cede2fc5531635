// Which reasoner a deployment uses, parsed once at start: the offline planner (the default, no key)
// or an LLM through an OpenAI-compatible endpoint or Anthropic.
import { z } from "zod";
import { createLlmReasoner, LLM_PROVIDERS } from "./llm/llm-reasoner.ts";
import { createPlannerReasoner } from "./planner/planner-reasoner.ts";
import type { Reasoner } from "./reasoner.ts";

const milliseconds = z.number().int().positive().max(3_600_000);

export const ReasonerConfigSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("planner") }),
  z.strictObject({
    kind: z.literal("llm"),
    provider: z.enum(LLM_PROVIDERS),
    model: z.string().min(1),
    baseURL: z.url().optional(),
    apiKey: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    firstChunkTimeoutMs: milliseconds.optional(),
    chunkTimeoutMs: milliseconds.optional(),
    stepTimeoutMs: milliseconds.optional(),
    maxRetries: z.number().int().min(0).max(10).optional(),
    maxMalformedSteps: z.number().int().min(1).max(10).optional(),
    temperature: z.number().min(0).max(2).optional(),
  }),
]);

export type ReasonerConfig = z.infer<typeof ReasonerConfigSchema>;

/**
 * Reads the reasoner config from environment-style variables (the CLI and gateway pass theirs):
 * BOD_LLM_PROVIDER (openai-compatible | anthropic; unset means the offline planner), BOD_LLM_MODEL,
 * BOD_LLM_BASE_URL, BOD_LLM_API_KEY, BOD_LLM_TIMEOUT_MS (first chunk). Throws naming the variable.
 */
export function reasonerConfigFromEnv(env: Record<string, string | undefined>): ReasonerConfig {
  const provider = env.BOD_LLM_PROVIDER?.trim();
  if (!provider || provider === "planner" || provider === "offline") return { kind: "planner" };
  const candidate = {
    kind: "llm",
    provider,
    model: env.BOD_LLM_MODEL,
    ...(env.BOD_LLM_BASE_URL ? { baseURL: env.BOD_LLM_BASE_URL } : {}),
    ...(env.BOD_LLM_API_KEY ? { apiKey: env.BOD_LLM_API_KEY } : {}),
    ...(env.BOD_LLM_TIMEOUT_MS ? { firstChunkTimeoutMs: Number(env.BOD_LLM_TIMEOUT_MS) } : {}),
  };
  const parsed = ReasonerConfigSchema.safeParse(candidate);
  if (!parsed.success) {
    const names: Record<string, string> = {
      provider: "BOD_LLM_PROVIDER",
      model: "BOD_LLM_MODEL",
      baseURL: "BOD_LLM_BASE_URL",
      apiKey: "BOD_LLM_API_KEY",
      firstChunkTimeoutMs: "BOD_LLM_TIMEOUT_MS",
    };
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? "provider");
    throw new Error(`${names[key] ?? key}: ${issue?.message ?? "invalid"}`);
  }
  if (parsed.data.kind === "llm" && parsed.data.provider === "openai-compatible" && !parsed.data.baseURL) {
    throw new Error("BOD_LLM_BASE_URL: required for openai-compatible (e.g. http://127.0.0.1:11434/v1 for Ollama).");
  }
  return parsed.data;
}

/**
 * Builds the reasoner a config names. `allowScripts`: the workers run scripts, so an LLM is offered
 * run_script (the offline planner never writes code).
 */
export function createReasoner(
  config: ReasonerConfig,
  options: { fetch?: typeof globalThis.fetch; allowScripts?: boolean } = {},
): Reasoner {
  if (config.kind === "planner") return createPlannerReasoner();
  const { kind: _kind, ...llm } = config;
  return createLlmReasoner({
    ...llm,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.allowScripts ? { allowScripts: true } : {}),
  });
}
