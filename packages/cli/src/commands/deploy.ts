// `bod deploy`: what an operator applies to a cluster. `bod deploy worker-service --project ID`
// prints the exact Knative Service the gateway's Knative backend creates for that project.
import type { Command } from "commander";
import { registerManifestsCommand } from "../deploy/manifests-command.ts";
import { addWorkerServiceOptions } from "../worker-service-flags.ts";

/** Registers `bod deploy` and returns it, so further subcommands can be added to it. */
export function registerDeployCommand(program: Command): Command {
  const deploy = program.command("deploy").description("Print what an operator applies to a Kubernetes cluster with Knative Serving");
  addWorkerServiceOptions(
    deploy
      .command("worker-service")
      .description("Print, as YAML, the Knative Service the gateway creates for a project (`--runtime knative`)")
      .requiredOption("--project <id>", "the project id")
      .option("--namespace <namespace>", "the namespace of the workers' Services", "blender-on-demand")
      .option("--state-url <url>", "PostgreSQL of the scene journals, without password (also BOD_STATE_URL)")
      .option("--artifact-url <url>", "S3 bucket of artifacts and snapshots, without keys (also BOD_ARTIFACT_URL)"),
  ).action(async (rawFlags: { project: string; namespace: string }) => {
    const { parseWorkerServiceFlags } = await import("../worker-service-flags.ts");
    const parsed = parseWorkerServiceFlags(rawFlags, rawFlags.namespace, process.env);
    if (!parsed.ok) {
      console.error(`bod deploy worker-service: ${parsed.message}`);
      process.exit(2);
    }
    const { buildWorkerService } = await import("@bod/runtime-knative/worker-service");
    let service: ReturnType<typeof buildWorkerService>;
    try {
      service = buildWorkerService(rawFlags.project, parsed.settings);
    } catch (error) {
      console.error(`bod deploy worker-service: ${(error as Error).message}`);
      process.exit(2);
    }
    const { dumpYaml } = await import("@bod/runtime-knative");
    process.stdout.write(dumpYaml(service));
  });
  registerManifestsCommand(deploy);
  return deploy;
}
