// `bod bench images`: the container images' sizes, the worker container's cold start against plain
// Blender started in the same image, and its drain on SIGTERM (see bench/images-bench.ts).
import type { Command } from "commander";
import { z } from "zod";
import { machineLine } from "./bench.ts";

const BenchImagesFlagsSchema = z.object({
  runs: z.coerce.number().int().min(1).max(50).default(5),
  objects: z.coerce.number().int().min(1).max(500).default(30),
  build: z.boolean().default(true),
  postgresUrl: z.string().optional(),
  s3Endpoint: z.url().optional(),
  json: z.boolean().default(false),
});

export function registerBenchImagesCommand(bench: Command): void {
  bench
    .command("images")
    .description(
      "Container image sizes, podman run to /healthz and to the first tool result against plain blender -b in the same image, and the drain on SIGTERM",
    )
    .option("--runs <n>", "cold starts and drains per side", "5")
    .option("--objects <n>", "objects in the scene each drained worker snapshots", "30")
    .option("--no-build", "use the images as they are instead of running scripts/build-images.sh first")
    .option("--postgres-url <url>", "a PostgreSQL server to use (a database is created in it); default: one started for the run")
    .option("--s3-endpoint <url>", "an S3 endpoint to use with the AWS_* credentials; default: versitygw started for the run")
    .option("--json", "print the raw figures as JSON")
    .action(async (rawFlags) => {
      const parsed = BenchImagesFlagsSchema.safeParse(rawFlags);
      if (!parsed.success) {
        console.error(`bod bench images: ${z.prettifyError(parsed.error)}`);
        process.exit(2);
      }
      const { json, ...options } = parsed.data;
      const { formatImagesBench, runImagesBench } = await import("../bench/images-bench.ts");
      const benchOptions = {
        runs: options.runs,
        objects: options.objects,
        build: options.build,
        ...(options.postgresUrl ? { postgresUrl: options.postgresUrl } : {}),
        ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}),
      };
      const result = await runImagesBench(benchOptions, (line) => console.error(line));
      if (json) console.log(JSON.stringify(result, null, 2));
      else console.log(`bod bench images — ${machineLine()}\n\n${formatImagesBench(result, benchOptions)}`);
    });
}
