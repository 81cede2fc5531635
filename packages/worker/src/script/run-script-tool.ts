// The run_script tool over the scene engine. In the call's turn (nothing else runs meanwhile) the
// bridge saves a copy of the scene into a fresh scratch folder, the code runs on it in the script
// sandbox, and the bridge takes the scene the code saved. The engine journals that file with the
// change (kept with the scene like an import's source), so a restore loads it and never runs code
// again. Whatever fails, the scene stays as it was and the scratch folder goes.
import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { SCRIPT_LIMITS } from "@bod/contracts";
import type { CallIdempotency, SceneEngine } from "../blender/index.ts";
import { runSandboxedScript, type ScriptRunOutcome } from "./run-sandboxed-script.ts";
import type { ResolvedScriptSandbox } from "./script-sandbox.ts";

export interface RunScriptDependencies {
  engine: SceneEngine;
  sandbox: ResolvedScriptSandbox;
  /** The worker's scratch folder; each call gets a fresh folder inside it. */
  scratchDirectory: string;
}

export interface RunScriptOptions {
  signal: AbortSignal;
  onBlenderTime: (blenderMs: number) => void;
  idempotency?: CallIdempotency;
}

/** The tool's structured result (the contract's output schema). */
export type RunScriptResult = {
  output: string;
  outputTruncated: boolean;
  outputBytes: number;
  /** The code's `result` as JSON text. */
  result?: string;
  resultError?: string;
  objects: string[];
  durationMs: number;
};

/** Runs one call; resolves once Blender holds the new scene, with `saved` settling when it is journaled. */
export async function runScriptTool(
  deps: RunScriptDependencies,
  input: { code: string; timeoutSeconds?: number },
  options: RunScriptOptions,
): Promise<{ structured: RunScriptResult; saved: Promise<void>; repeated?: boolean; outcome?: ScriptRunOutcome }> {
  const { engine } = deps;
  // A repeated key answers with the first result before any code runs again.
  const earlier = options.idempotency ? engine.recall(options.idempotency) : undefined;
  if (earlier) return { structured: earlier.result as RunScriptResult, saved: Promise.resolve(), repeated: true };

  const timeoutSeconds = input.timeoutSeconds ?? SCRIPT_LIMITS.defaultTimeoutSeconds;
  const scratchDir = join(deps.scratchDirectory, `script-${randomUUID()}`);
  let outcome: ScriptRunOutcome | undefined;
  const structuredOf = (answer: unknown): RunScriptResult => {
    const ran = outcome as ScriptRunOutcome;
    return {
      output: ran.output,
      outputTruncated: ran.outputTruncated,
      outputBytes: ran.outputBytes,
      ...(ran.result !== undefined ? { result: JSON.stringify(ran.result) } : {}),
      ...(ran.resultError !== undefined ? { resultError: ran.resultError } : {}),
      objects: (answer as { objects?: string[] }).objects ?? [],
      durationMs: Math.round(ran.durationMs),
    };
  };
  try {
    await mkdir(join(scratchDir, "tmp"), { recursive: true });
    const started = await engine.begin(
      "run_script",
      {},
      {
        signal: options.signal,
        onBlenderTime: options.onBlenderTime,
        ...(options.idempotency ? { idempotency: { ...options.idempotency, result: structuredOf } } : {}),
        prepare: async (blender) => {
          const copy = join(scratchDir, "in.blend");
          await blender.call("save_scene_copy", { path: copy });
          outcome = await runSandboxedScript(deps.sandbox, { code: input.code, timeoutSeconds, scratchDir, signal: options.signal });
          // Only the first run may go back to the copy; the journal keeps just the script's scene.
          return { args: { path: outcome.sceneFile, previous: copy }, journalArgs: { path: outcome.sceneFile } };
        },
      },
    );
    if (started.repeated) return { structured: started.result as RunScriptResult, saved: started.saved, repeated: true };
    const structured = structuredOf(started.result);
    // The scene file is kept by the store once journaled; the scratch copy can go then.
    const saved = started.saved.finally(() => rm(scratchDir, { recursive: true, force: true }));
    return { structured, saved };
  } catch (error) {
    await rm(scratchDir, { recursive: true, force: true });
    throw error;
  }
}

/** The text a model reads for a successful run. */
export function describeScriptResult(result: RunScriptResult): string {
  const parts = [`The script ran in ${result.durationMs} ms; the scene has ${result.objects.length} object(s).`];
  if (result.output !== "")
    parts.push(
      `Output${result.outputTruncated ? ` (first ${SCRIPT_LIMITS.maxOutputBytes} of ${result.outputBytes} bytes)` : ""}:\n${result.output}`,
    );
  if (result.result !== undefined) parts.push(`result: ${result.result}`);
  if (result.resultError) parts.push(`result: ${result.resultError}`);
  return parts.join("\n");
}
