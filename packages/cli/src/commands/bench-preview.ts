// `bod bench preview`: the preview preset against the other engines at 480x270, the agent's
// end-of-turn preview, and what a render's first look costs it (see bench/preview-bench.ts).
import type { Command } from "commander";
import { z } from "zod";
import { machineLine } from "./bench.ts";

const BenchPreviewFlagsSchema = z.object({
  runs: z.coerce.number().int().min(1).max(50).default(5),
  blender: z.string().default(process.env.BLENDER_PATH ?? "blender"),
  json: z.boolean().default(false),
});

export function registerBenchPreviewCommand(bench: Command): void {
  bench
    .command("preview")
    .description(
      "Preview render time (Blender-side, MCP, agent turn) against other engines at 480x270, and what a render's first look costs it",
    )
    .option("--runs <n>", "renders per case", "5")
    .option("--blender <path>", "Blender executable")
    .option("--json", "print the raw figures as JSON")
    .action(async (rawFlags) => {
      const parsed = BenchPreviewFlagsSchema.safeParse(rawFlags);
      if (!parsed.success) {
        console.error(`bod bench preview: ${z.prettifyError(parsed.error)}`);
        process.exit(2);
      }
      const { json, ...options } = parsed.data;
      const { formatPreviewBench, runPreviewBench } = await import("../bench/preview-bench.ts");
      const result = await runPreviewBench(options, (line) => console.error(line));
      if (json) console.log(JSON.stringify(result, null, 2));
      else console.log(`bod bench preview — ${machineLine()}\n\n${formatPreviewBench(result, options)}`);
    });
}
