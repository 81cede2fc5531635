// The flags of `bod deploy manifests`, parsed once into ManifestsSettings with the flag named in
// every message. The worker-Service flags are the ones `bod gateway --runtime knative` and `bod
// deploy worker-service` take (worker-service-flags.ts), so the gateway the manifests deploy
// builds exactly the Services `bod deploy worker-service` prints.
import { isIP } from "node:net";
import { parseS3Location } from "@bod/storage";
import type { Command } from "commander";
import { z } from "zod";
import { addWorkerServiceOptions, parseWorkerServiceFlags } from "../worker-service-flags.ts";
import type { EgressTarget, ManifestsSettings } from "./manifests.ts";

/** Stand-ins the ConfigMap gets when no store is named; the gateway refuses to start on them, naming the URL. */
export const PLACEHOLDER_STATE_URL = "postgres://blender-on-demand@postgres.invalid:5432/blender_on_demand";
export const PLACEHOLDER_ARTIFACT_URL = "s3://blender-on-demand?endpoint=https://s3.invalid&region=us-east-1&forcePathStyle=true";

/** Registries whose images Knative cannot resolve to a digest (they are loaded into the nodes directly). */
const LOCAL_REGISTRIES = ["localhost", "kind.local", "ko.local", "dev.local"];

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;
const dnsLabel = (what: string) => z.string().regex(DNS_LABEL, `${what}: a DNS label, 1 to 63 of a-z, 0-9 and -`);
const port = z.coerce.number().int().min(1).max(65_535);

const ManifestsFlagsSchema = z.object({
  namespace: dnsLabel("namespace").default("blender-on-demand"),
  workersNamespace: dnsLabel("namespace").optional(),
  imageRegistry: z
    .string()
    .regex(/^[a-z0-9.-]+(?::[0-9]+)?(?:\/[a-z0-9._-]+)*$/, "a registry host and optional path, e.g. ghcr.io/acme")
    .default("localhost"),
  tag: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "an image tag: letters, digits, _ . -, at most 128")
    .default("dev"),
  gatewayImage: z.string().min(1).optional(),
  replicas: z.coerce.number().int().min(1).max(50).default(2),
  runtimeClassHandler: dnsLabel("runtime class handler").optional(),
  runtimeClassObject: z.boolean().default(true),
  prepull: z.boolean().default(false),
  llmProvider: z.string().optional(),
  llmModel: z.string().optional(),
  llmBaseUrl: z.string().optional(),
  llmSecret: z.string().regex(DNS_SUBDOMAIN, "a Secret name (DNS subdomain)").default("blender-on-demand-llm"),
  postgresCidr: z.array(z.string()).optional(),
  postgresPort: port.optional(),
  s3Cidr: z.array(z.string()).optional(),
  s3Port: port.optional(),
  ingressNamespace: dnsLabel("ingress namespace").default("kourier-system"),
});

/** Adds the options of `bod deploy manifests` to `command`. */
export function addManifestsOptions(command: Command): Command {
  return addWorkerServiceOptions(
    command
      .option("--namespace <namespace>", "the gateway's namespace", "blender-on-demand")
      .option("--workers-namespace <namespace>", "the namespace of the workers' Knative Services (default: <namespace>-workers)")
      .option(
        "--image-registry <registry>",
        "where the images are pushed: <registry>/blender-on-demand/{gateway,worker}:<tag>",
        "localhost",
      )
      .option("--tag <tag>", "the images' tag", "dev")
      .option("--gateway-image <image>", "the gateway image (default: from --image-registry and --tag)")
      .option("--replicas <n>", "gateway replicas", "2")
      .option("--runtime-class-handler <handler>", "the containerd handler of the --runtime-class RuntimeClass (default: its name)")
      .option(
        "--no-runtime-class-object",
        "the --runtime-class RuntimeClass exists already (kata-deploy's kata-qemu, ...): do not print one",
      )
      .option("--prepull", "print a DaemonSet that keeps the worker image on every node (cold starts never wait for a pull)")
      .option("--state-url <url>", "PostgreSQL of the State and the scene journal, without password (also BOD_STATE_URL)")
      .option("--artifact-url <url>", "S3 bucket of artifacts and snapshots, without keys (also BOD_ARTIFACT_URL)")
      .option("--llm-provider <provider>", "openai-compatible or anthropic (default: the offline planner)")
      .option("--llm-model <model>", "the LLM's model id")
      .option("--llm-base-url <url>", "the LLM's endpoint (required for openai-compatible)")
      .option("--llm-secret <name>", "Secret in the gateway's namespace holding BOD_LLM_API_KEY", "blender-on-demand-llm")
      .option("--postgres-cidr <cidr...>", "addresses workers may reach PostgreSQL at (default: the --state-url host if an IP, else any)")
      .option("--postgres-port <port>", "PostgreSQL's port for the workers' egress (default: from --state-url, else 5432)")
      .option("--s3-cidr <cidr...>", "addresses workers may reach S3 at (default: the endpoint host if an IP, else any)")
      .option("--s3-port <port>", "S3's port for the workers' egress (default: from the endpoint, else 443)")
      .option("--ingress-namespace <namespace>", "namespace of the networking layer's gateways (istio-system for Istio)", "kourier-system"),
  );
}

/** Whether `cidr` is an IPv4 or IPv6 CIDR such as 10.0.0.0/8. */
export function isCidr(cidr: string): boolean {
  const [address, prefix, ...rest] = cidr.split("/");
  if (rest.length > 0 || address === undefined || prefix === undefined || !/^[0-9]{1,3}$/.test(prefix)) return false;
  const family = isIP(address);
  return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** The host of a URL as an exact CIDR when it is an IP address, else undefined. */
function hostCidr(host: string): string | undefined {
  const bare = host.replace(/^\[|\]$/g, "");
  const family = isIP(bare);
  return family === 0 ? undefined : `${bare}/${family === 4 ? 32 : 128}`;
}

function egressTarget(
  flag: string,
  cidrs: string[] | undefined,
  flagPort: number | undefined,
  url: URL | undefined,
  defaultPort: number,
): { ok: true; target: EgressTarget } | { ok: false; message: string } {
  for (const cidr of cidrs ?? [])
    if (!isCidr(cidr)) return { ok: false, message: `--${flag}-cidr: "${cidr}" is not a CIDR such as 10.0.0.0/16 or 2001:db8::/64` };
  const fromUrl = url ? hostCidr(url.hostname) : undefined;
  const urlPort = url?.port ? Number(url.port) : url?.protocol === "http:" ? 80 : undefined;
  return {
    ok: true,
    target: { cidrs: cidrs ?? (fromUrl ? [fromUrl] : ["0.0.0.0/0"]), port: flagPort ?? urlPort ?? defaultPort },
  };
}

/**
 * The settings from the flags (and BOD_STATE_URL / BOD_ARTIFACT_URL). `workerImageGiven` says
 * whether --worker-image was on the command line (else it follows --image-registry and --tag);
 * `checkLlm` validates the BOD_LLM_* variables the ConfigMap gets and throws naming the variable.
 * `notes` are things the operator should know before applying (placeholders, open egress).
 */
export function parseManifestsFlags(
  rawFlags: Record<string, unknown>,
  options: { env: Record<string, string | undefined>; workerImageGiven: boolean; checkLlm?: (env: Record<string, string>) => void },
): { ok: true; settings: ManifestsSettings; notes: string[] } | { ok: false; message: string } {
  const parsed = ManifestsFlagsSchema.safeParse(rawFlags);
  if (!parsed.success) return { ok: false, message: z.prettifyError(parsed.error) };
  const flags = parsed.data;
  const workersNamespace = flags.workersNamespace ?? `${flags.namespace}-workers`;
  if (workersNamespace.length > 63)
    return { ok: false, message: `--workers-namespace: "${workersNamespace}" is longer than 63 characters` };
  if (workersNamespace === flags.namespace)
    return {
      ok: false,
      message: "--workers-namespace must differ from --namespace: the workers' NetworkPolicies would fence the gateway in",
    };
  const image = (name: string) => `${flags.imageRegistry}/blender-on-demand/${name}:${flags.tag}`;
  const workerFlags = { ...rawFlags, ...(options.workerImageGiven ? {} : { workerImage: image("worker") }) };
  const worker = parseWorkerServiceFlags(workerFlags, workersNamespace, options.env);
  if (!worker.ok) return worker;
  const settings = worker.settings;
  const notes: string[] = [];
  if (!settings.stateUrl) notes.push(`no --state-url: the ConfigMap names ${PLACEHOLDER_STATE_URL}; set it before applying.`);
  if (!settings.artifactUrl) notes.push(`no --artifact-url: the ConfigMap names ${PLACEHOLDER_ARTIFACT_URL}; set it before applying.`);
  const stateUrl = settings.stateUrl ?? PLACEHOLDER_STATE_URL;
  const artifactUrl = settings.artifactUrl ?? PLACEHOLDER_ARTIFACT_URL;
  const endpoint = parseS3Location(artifactUrl).endpoint;
  const postgres = egressTarget("postgres", flags.postgresCidr, flags.postgresPort, new URL(stateUrl), 5432);
  if (!postgres.ok) return postgres;
  const s3 = egressTarget("s3", flags.s3Cidr, flags.s3Port, endpoint ? new URL(endpoint) : undefined, 443);
  if (!s3.ok) return s3;
  for (const [name, target] of [
    ["PostgreSQL", postgres.target],
    ["S3", s3.target],
  ] as const)
    if (target.cidrs.includes("0.0.0.0/0"))
      notes.push(
        `workers may reach any address on ${name}'s port ${target.port}: narrow it with --${name === "S3" ? "s3" : "postgres"}-cidr.`,
      );
  const llm = { provider: flags.llmProvider, model: flags.llmModel, baseUrl: flags.llmBaseUrl };
  if (options.checkLlm) {
    try {
      options.checkLlm({ BOD_LLM_PROVIDER: llm.provider ?? "", BOD_LLM_MODEL: llm.model ?? "", BOD_LLM_BASE_URL: llm.baseUrl ?? "" });
    } catch (error) {
      const message = (error as Error).message.replace(
        /^BOD_LLM_([A-Z_]+)/,
        (_, name: string) => `--llm-${name.toLowerCase().replace(/_/g, "-")}`,
      );
      return { ok: false, message };
    }
  }
  const gatewayImage = flags.gatewayImage ?? image("gateway");
  const registryOf = (reference: string) => reference.split("/")[0] ?? "";
  return {
    ok: true,
    notes,
    settings: {
      namespace: flags.namespace,
      worker: settings,
      gatewayImage,
      replicas: flags.replicas,
      ...(flags.runtimeClassHandler ? { runtimeClassHandler: flags.runtimeClassHandler } : {}),
      runtimeClassObject: flags.runtimeClassObject,
      prepull: flags.prepull,
      stateUrl,
      artifactUrl,
      llm,
      llmSecretName: flags.llmSecret,
      egress: { postgres: postgres.target, s3: s3.target },
      ingressNamespace: flags.ingressNamespace,
      skipTagResolution: [settings.image, gatewayImage].some((reference) => LOCAL_REGISTRIES.includes(registryOf(reference))),
    },
  };
}
