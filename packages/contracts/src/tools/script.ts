// run_script: Python against Blender's bpy for what the typed tools do not cover. The worker offers
// it only when its operator allows scripts (`--allow-scripts`) and the worker is sandboxed; the
// code then runs in a Blender of its own, in a nested sandbox with no network, no secrets, no files
// but a copy of the scene, and limits on time, memory, processes and output (docs/scripts.md).
import { z } from "zod";
import { defineTool } from "../tool-contract.ts";

/** The limits of one run_script call, as the contract and the worker apply them. */
export const SCRIPT_LIMITS = {
  /** Longest code, in characters. */
  maxCodeChars: 100_000,
  /** Wall-clock limit when the call gives none, in seconds. */
  defaultTimeoutSeconds: 30,
  /** Longest wall-clock limit a call may ask for, in seconds. */
  maxTimeoutSeconds: 300,
  /** The script's output (stdout and stderr together) kept for the answer, in bytes; the rest is counted and dropped. */
  maxOutputBytes: 64 * 1024,
  /** The `result` value kept for the answer, as JSON text, in characters. */
  maxResultChars: 16 * 1024,
} as const;

export const runScript = defineTool({
  name: "run_script",
  title: "Run script",
  description: `Run Python against Blender's bpy API for what the other tools cannot do (geometry nodes, custom meshes from vertices, drivers, any setting). The code runs in a separate sandboxed Blender on a copy of the current scene: \`bpy.context.scene\` is the scene; there is no network, no subprocess, and no file outside a scratch folder (the working directory). When the code finishes without an exception, the scene it leaves becomes the project's scene; when it raises, is stopped at its time limit (default ${SCRIPT_LIMITS.defaultTimeoutSeconds} s) or runs out of memory, the scene is unchanged. Returns what the code printed (at most ${SCRIPT_LIMITS.maxOutputBytes / 1024} KiB) and, if the code sets a global \`result\`, its value as JSON text. Only offered when the operator allows scripts.`,
  inputSchema: z.strictObject({
    code: z
      .string()
      .min(1, "Give the Python code to run.")
      .max(SCRIPT_LIMITS.maxCodeChars, `Scripts are at most ${SCRIPT_LIMITS.maxCodeChars} characters.`)
      .describe("Python 3 source; `import bpy` works, and the current scene is already open."),
    timeoutSeconds: z
      .number()
      .int("timeoutSeconds is a whole number of seconds.")
      .min(1, "timeoutSeconds is at least 1.")
      .max(SCRIPT_LIMITS.maxTimeoutSeconds, `timeoutSeconds is at most ${SCRIPT_LIMITS.maxTimeoutSeconds}.`)
      .optional()
      .describe(`Wall-clock limit in seconds (1..${SCRIPT_LIMITS.maxTimeoutSeconds}, default ${SCRIPT_LIMITS.defaultTimeoutSeconds}).`),
  }),
  outputSchema: z.object({
    output: z.string().describe("What the code wrote to stdout and stderr, in order, cut at the limit."),
    outputTruncated: z.boolean().describe("True when the code wrote more than the limit kept."),
    outputBytes: z.number().int().min(0).describe("How many bytes the code wrote in all."),
    result: z.string().optional().describe("The value of the code's global `result` as JSON text, when it set one that JSON can carry."),
    resultError: z.string().optional().describe("Why `result` is missing although the code set one (not JSON data, or too long)."),
    objects: z.array(z.string()).describe("The scene's object names after the script."),
    durationMs: z.number().min(0).describe("How long the sandboxed Blender ran, in milliseconds."),
  }),
  mutatesScene: true,
  // The script's own limit is at most maxTimeoutSeconds; this covers loading its scene afterwards.
  timeoutMs: 120_000,
  hints: { destructiveHint: true },
});

/** The script tools, spread into TOOL_CONTRACTS; a worker lists them only when scripts are allowed. */
export const SCRIPT_TOOLS = [runScript] as const;

/** Names of the tools a worker offers only when its operator allows scripts. */
export const SCRIPT_TOOL_NAMES: ReadonlySet<string> = new Set(SCRIPT_TOOLS.map((tool) => tool.name));
