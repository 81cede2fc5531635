// Fills the compile cache the runtime's workers start from (NODE_COMPILE_CACHE). A worker's cold
// start is Blender's boot plus whatever CPU Node takes from it meanwhile; with compiled code and
// stripped TypeScript cached, Node's share drops by about half. Sandboxed workers may only read
// the cache, so the runtime, which may write it, fills it once at start: in the background, at
// the lowest CPU priority, loading exactly the modules `bod worker` loads. It also compiles the
// bridge Blender imports, beside its source (__pycache__), which saves each Blender start about
// 20 ms; where the system's python3 is not Blender's, Python ignores that bytecode.
import { spawn } from "node:child_process";
import { setPriority } from "node:os";
import { dirname } from "node:path";
import { BRIDGE_SCRIPT } from "@bod/worker/early-blender";

/** Runs each command once with the cache; resolves when all are done (failures only cost speed). */
export async function warmWorkerCompileCache(directory: string, workerCommand: readonly string[]): Promise<void> {
  const [program, ...args] = workerCommand;
  if (!program) return;
  const commands = [
    ["python3", "-m", "compileall", "-q", dirname(BRIDGE_SCRIPT)],
    // The entry, the command-line parser and the worker command's own module.
    [program, ...args, "--help"],
    // The worker itself (MCP server, engine, contracts), which `--help` does not load.
    [
      process.execPath,
      "--disable-warning=ExperimentalWarning",
      "--input-type=module",
      "-e",
      `await import(${JSON.stringify(import.meta.resolve("@bod/worker"))});`,
    ],
  ];
  for (const [command, ...commandArgs] of commands) {
    await new Promise<void>((resolve) => {
      const child = spawn(command!, commandArgs, { env: { ...process.env, NODE_COMPILE_CACHE: directory }, stdio: "ignore" });
      if (child.pid !== undefined) {
        try {
          setPriority(child.pid, 19);
        } catch {
          // Not permitted here: it runs at normal priority.
        }
      }
      child.once("exit", () => resolve());
      child.once("error", () => resolve());
    });
  }
}
