// `bod bench <target>`: benchmarks that print numbers, each against plain Blender in the same run.
import { cpus, totalmem } from "node:os";
import { MAX_RESOLUTION, MAX_SAMPLES, RENDER_DEFAULTS, RENDER_ENGINES } from "@bod/contracts";
import type { Command } from "commander";

const workerBenchFlagsSchema = (z: typeof import("zod").z) =>
  z.object({
    runs: z.coerce.number().int().min(1).max(50).default(5),
    calls: z.coerce.number().int().min(10).max(10_000).default(200),
    engine: z.enum(RENDER_ENGINES).default(RENDER_DEFAULTS.engine),
    width: z.coerce.number().int().min(16).max(MAX_RESOLUTION).default(RENDER_DEFAULTS.width),
    height: z.coerce.number().int().min(16).max(MAX_RESOLUTION).default(RENDER_DEFAULTS.height),
    samples: z.coerce.number().int().min(1).max(MAX_SAMPLES).default(RENDER_DEFAULTS.samples),
    json: z.boolean().default(false),
    blender: z.string().default(process.env.BLENDER_PATH ?? "blender"),
  });

export function machineLine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`;
}

/** The `bench` command; other targets attach their subcommands to what this returns. */
export function registerBenchCommand(program: Command): Command {
  const bench = program.command("bench").description("Benchmarks that print numbers (each compared with plain Blender in the same run)");
  bench
    .command("worker")
    .description("Blender start to ready, MCP round trips, render ratio against plain blender -b, memory")
    .option("--runs <n>", "cold starts and renders per side", "5")
    .option("--calls <n>", "add_object and get_scene calls per side", "200")
    .option("--engine <engine>", `render engine: ${RENDER_ENGINES.join(", ")}`, RENDER_DEFAULTS.engine)
    .option("--width <px>", "render width", String(RENDER_DEFAULTS.width))
    .option("--height <px>", "render height", String(RENDER_DEFAULTS.height))
    .option("--samples <n>", "render samples", String(RENDER_DEFAULTS.samples))
    .option("--json", "print the raw figures as JSON")
    .option("--blender <path>", "Blender executable, or a Python with the bpy module")
    .action(async (rawFlags) => {
      const { z } = await import("zod");
      const parsed = workerBenchFlagsSchema(z).safeParse(rawFlags);
      if (!parsed.success) {
        console.error(`bod bench worker: ${z.prettifyError(parsed.error)}`);
        process.exit(2);
      }
      const flags = parsed.data;
      const { runWorkerBench, formatWorkerBench } = await import("../bench/worker-bench.ts");
      const options = {
        runs: flags.runs,
        calls: flags.calls,
        blender: flags.blender,
        render: { engine: flags.engine, width: flags.width, height: flags.height, samples: flags.samples },
      };
      const result = await runWorkerBench(options, (line) => console.error(line));
      if (flags.json) console.log(JSON.stringify(result, null, 2));
      else console.log(`bod bench worker — ${machineLine()}\n\n${formatWorkerBench(result, options)}`);
    });
  return bench;
}
