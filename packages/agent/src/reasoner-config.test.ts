// Reasoner configuration from environment-style variables: the planner by default, LLM settings
// checked at start with the offending variable named.
import { describe, expect, it } from "vitest";
import { createReasoner, reasonerConfigFromEnv } from "./reasoner-config.ts";

describe("reasonerConfigFromEnv", () => {
  it("uses the offline planner when no provider is set", () => {
    expect(reasonerConfigFromEnv({})).toEqual({ kind: "planner" });
    expect(createReasoner(reasonerConfigFromEnv({})).name).toBe("planner");
  });

  it("reads an OpenAI-compatible endpoint", () => {
    const config = reasonerConfigFromEnv({
      BOD_LLM_PROVIDER: "openai-compatible",
      BOD_LLM_MODEL: "llama3.1",
      BOD_LLM_BASE_URL: "http://127.0.0.1:11434/v1",
      BOD_LLM_TIMEOUT_MS: "20000",
    });
    expect(config).toEqual({
      kind: "llm",
      provider: "openai-compatible",
      model: "llama3.1",
      baseURL: "http://127.0.0.1:11434/v1",
      firstChunkTimeoutMs: 20000,
    });
    expect(createReasoner(config).name).toBe("openai-compatible:llama3.1");
  });

  it("names the variable that is wrong", () => {
    expect(() => reasonerConfigFromEnv({ BOD_LLM_PROVIDER: "anthropic" })).toThrow(/^BOD_LLM_MODEL/);
    expect(() => reasonerConfigFromEnv({ BOD_LLM_PROVIDER: "gemini", BOD_LLM_MODEL: "x" })).toThrow(/^BOD_LLM_PROVIDER/);
    expect(() => reasonerConfigFromEnv({ BOD_LLM_PROVIDER: "openai-compatible", BOD_LLM_MODEL: "x" })).toThrow(/^BOD_LLM_BASE_URL/);
    expect(() =>
      reasonerConfigFromEnv({
        BOD_LLM_PROVIDER: "openai-compatible",
        BOD_LLM_MODEL: "x",
        BOD_LLM_BASE_URL: "http://h/v1",
        BOD_LLM_TIMEOUT_MS: "soon",
      }),
    ).toThrow(/^BOD_LLM_TIMEOUT_MS/);
  });
});
