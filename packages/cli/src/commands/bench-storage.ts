// `bod bench storage`: the scale-out stores (PostgreSQL, S3) against the embedded ones (files,
// SQLite), each figure from one run on one machine (see bench/storage-bench.ts).
import type { Command } from "commander";
import { z } from "zod";
import { machineLine } from "./bench.ts";

const BenchStorageFlagsSchema = z.object({
  calls: z.coerce.number().int().min(10).max(100_000).default(300),
  runs: z.coerce.number().int().min(1).max(50).default(5),
  projects: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
  blender: z.string().default(process.env.BLENDER_PATH ?? "blender"),
  postgresUrl: z.string().optional(),
  s3Endpoint: z.url().optional(),
  json: z.boolean().default(false),
});

export function registerBenchStorageCommand(bench: Command): void {
  bench
    .command("storage")
    .description(
      "Acknowledged-change latency (file vs PostgreSQL journal), snapshot store and restore (folder vs S3), artifact downloads (streamed vs presigned), 10,000 projects in SQLite and PostgreSQL",
    )
    .option("--calls <n>", "add_object calls per worker, and journal appends per store", "300")
    .option("--runs <n>", "snapshot and download repetitions", "5")
    .option("--projects <n>", "projects created in each state store", "10000")
    .option("--blender <path>", "Blender executable")
    .option("--postgres-url <url>", "a PostgreSQL server to use (a database is created in it); default: one started for the run")
    .option("--s3-endpoint <url>", "an S3 endpoint to use with the AWS_* credentials; default: versitygw started for the run")
    .option("--json", "print the raw figures as JSON")
    .action(async (rawFlags) => {
      const parsed = BenchStorageFlagsSchema.safeParse(rawFlags);
      if (!parsed.success) {
        console.error(`bod bench storage: ${z.prettifyError(parsed.error)}`);
        process.exit(2);
      }
      const { json, ...options } = parsed.data;
      const { formatStorageBench, runStorageBench } = await import("../bench/storage-bench.ts");
      const result = await runStorageBench(
        {
          ...options,
          ...(options.postgresUrl ? { postgresUrl: options.postgresUrl } : {}),
          ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}),
        },
        (line) => console.error(line),
      );
      if (json) console.log(JSON.stringify(result, null, 2));
      else console.log(`bod bench storage — ${machineLine()}\n\n${formatStorageBench(result, options)}`);
    });
}
