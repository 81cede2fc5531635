// `bod deploy manifests`: prints, as one YAML stream for `kubectl apply -f -`, every object an
// operator applies to run blender-on-demand on a cluster with Knative Serving. Notes the operator
// should read before applying (placeholders, open egress) go to stderr, so the YAML stays clean.
import type { Command } from "commander";
import { addManifestsOptions } from "./manifests-flags.ts";

/** Registers `manifests` under `bod deploy`. */
export function registerManifestsCommand(deploy: Command): void {
  addManifestsOptions(
    deploy
      .command("manifests")
      .description(
        "Print every object an operator applies (namespaces, RBAC, the gateway, Knative settings, NetworkPolicies) as YAML for kubectl apply -f -",
      ),
  ).action(async (rawFlags: Record<string, unknown>, command: Command) => {
    const [{ parseManifestsFlags }, { buildManifests, renderManifests, secretCommands }, { reasonerConfigFromEnv }] = await Promise.all([
      import("./manifests-flags.ts"),
      import("./manifests.ts"),
      import("@bod/agent"),
    ]);
    const parsed = parseManifestsFlags(rawFlags, {
      env: process.env,
      workerImageGiven: command.getOptionValueSource("workerImage") === "cli",
      checkLlm: (env) => void reasonerConfigFromEnv(env),
    });
    if (!parsed.ok) {
      console.error(`bod deploy manifests: ${parsed.message}`);
      process.exit(2);
    }
    const { settings } = parsed;
    let documents: ReturnType<typeof buildManifests>;
    try {
      documents = buildManifests(settings);
    } catch (error) {
      console.error(`bod deploy manifests: ${(error as Error).message}`);
      process.exit(2);
    }
    for (const note of parsed.notes) console.error(`bod deploy manifests: ${note}`);
    const header = [
      "blender-on-demand on Kubernetes with Knative Serving (docs/deploy.md). Apply with: kubectl apply -f -",
      "",
      "The gateway and the workers read credentials from Secrets this file only references. Create them",
      "first, with your values in place of ...:",
      ...secretCommands(settings).map((line) => `  ${line}`),
      "",
    ];
    process.stdout.write(renderManifests(documents, header));
  });
}
