// `bod bench runtime`: cold start with and without the pool, the runtime hop, idle cost, capacity.
import type { Command } from "commander";

export function registerBenchRuntimeCommand(bench: Command): void {
  bench
    .command("runtime")
    .description("Cold start to first tool result with and without the pool, runtime hop against direct calls, idle cost, capacity")
    .action(async () => {
      console.error("not yet");
    });
}
