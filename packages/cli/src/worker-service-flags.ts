// The flags that shape each project's Knative Service, shared by `bod gateway --runtime knative`
// (which applies the Services) and `bod deploy worker-service` (which prints one), so both
// always describe the same object. Parsed once, with the flag named in every message.
import type { WorkerServiceSettings } from "@bod/runtime-knative/worker-service";
import type { Command } from "commander";
import { z } from "zod";
import { parseStorageUrls } from "./storage-flags.ts";

const QuantitySchema = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/, "a Kubernetes quantity such as 500m, 2, 1Gi");

const WorkerServiceFlagsSchema = z.object({
  workerImage: z.string().min(1).default("localhost/blender-on-demand/worker:dev"),
  idleWindow: z.coerce.number().int().min(6).max(3600).default(60),
  containerConcurrency: z.coerce.number().int().min(2).max(1000).default(10),
  requestTimeout: z.coerce.number().int().min(1).max(86_400).default(900),
  responseStartTimeout: z.coerce.number().int().min(1).max(86_400).optional(),
  streamIdleTimeout: z.coerce.number().int().min(0).max(86_400).default(0),
  runtimeClass: z.string().min(1).optional(),
  allowScripts: z.boolean().default(false),
  workerCpuRequest: QuantitySchema.default("500m"),
  workerMemoryRequest: QuantitySchema.default("1Gi"),
  workerCpuLimit: QuantitySchema.default("2"),
  workerMemoryLimit: QuantitySchema.default("4Gi"),
  storageSecret: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/, "a Secret name (DNS subdomain)")
    .default("blender-on-demand-storage"),
  workerLogLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  clusterDomain: z.string().min(1).default("cluster.local"),
  stateUrl: z.string().optional(),
  artifactUrl: z.string().optional(),
});

/** Adds the worker Service flags to `command` (not --state-url / --artifact-url, which callers declare). */
export function addWorkerServiceOptions(command: Command): Command {
  return command
    .option("--worker-image <image>", "the worker image", "localhost/blender-on-demand/worker:dev")
    .option("--idle-window <seconds>", "scale a project's worker to zero after this long without requests (6 to 3600)", "60")
    .option(
      "--container-concurrency <n>",
      "requests one worker takes at once (at least 2: an open MCP stream must not block tool calls)",
      "10",
    )
    .option(
      "--request-timeout <seconds>",
      "Knative timeoutSeconds: longest time to start answering a request; at most the cluster's max-revision-timeout-seconds",
      "900",
    )
    .option("--response-start-timeout <seconds>", "Knative responseStartTimeoutSeconds (default: the request timeout)")
    .option("--stream-idle-timeout <seconds>", "Knative idleTimeoutSeconds; 0 leaves it to the cluster (MCP GET streams are quiet)", "0")
    .option("--runtime-class <name>", "RuntimeClass of the worker pods, e.g. kata (Knative's kubernetes.podspec-runtimeclassname feature)")
    .option(
      "--allow-scripts",
      "offer run_script (Python against bpy, in a nested sandbox); local workers need bubblewrap, Knative workers a microVM --runtime-class (docs/scripts.md)",
    )
    .option("--worker-cpu-request <quantity>", "CPU each worker requests", "500m")
    .option("--worker-memory-request <quantity>", "memory each worker requests", "1Gi")
    .option("--worker-cpu-limit <quantity>", "CPU limit of each worker", "2")
    .option("--worker-memory-limit <quantity>", "memory limit of each worker", "4Gi")
    .option(
      "--storage-secret <name>",
      "Secret whose keys become the worker's environment: PGPASSWORD, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION",
      "blender-on-demand-storage",
    )
    .option("--worker-log-level <level>", "the workers' log level", "info")
    .option("--cluster-domain <domain>", "the cluster's DNS suffix", "cluster.local");
}

/**
 * The Service settings from the flags (and BOD_STATE_URL / BOD_ARTIFACT_URL); the message names
 * the flag that is wrong.
 */
export function parseWorkerServiceFlags(
  rawFlags: unknown,
  namespace: string,
  env: Record<string, string | undefined>,
): { ok: true; settings: WorkerServiceSettings } | { ok: false; message: string } {
  const parsed = WorkerServiceFlagsSchema.safeParse(rawFlags);
  if (!parsed.success) return { ok: false, message: z.prettifyError(parsed.error) };
  const flags = parsed.data;
  const storage = parseStorageUrls(flags, env);
  if (!storage.ok) return storage;
  const responseStart = flags.responseStartTimeout ?? flags.requestTimeout;
  if (responseStart > flags.requestTimeout)
    return { ok: false, message: "--response-start-timeout must not exceed --request-timeout (Knative refuses it)" };
  if (flags.streamIdleTimeout > flags.requestTimeout)
    return { ok: false, message: "--stream-idle-timeout must not exceed --request-timeout (Knative refuses it)" };
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(namespace))
    return { ok: false, message: `namespace "${namespace}": a DNS label, 1 to 63 of a-z, 0-9 and -` };
  if (flags.allowScripts && !flags.runtimeClass)
    return {
      ok: false,
      message:
        "--allow-scripts needs --runtime-class naming a microVM runtime (such as kata): scripts run only in workers isolated by a kernel of their own",
    };
  return {
    ok: true,
    settings: {
      namespace,
      image: flags.workerImage,
      idleWindowSeconds: flags.idleWindow,
      containerConcurrency: flags.containerConcurrency,
      timeoutSeconds: flags.requestTimeout,
      responseStartTimeoutSeconds: responseStart,
      idleTimeoutSeconds: flags.streamIdleTimeout,
      ...(flags.runtimeClass ? { runtimeClassName: flags.runtimeClass } : {}),
      ...(flags.allowScripts ? { allowScripts: true } : {}),
      resources: {
        requests: { cpu: flags.workerCpuRequest, memory: flags.workerMemoryRequest },
        limits: { cpu: flags.workerCpuLimit, memory: flags.workerMemoryLimit },
      },
      ...(storage.urls.stateUrl ? { stateUrl: storage.urls.stateUrl } : {}),
      ...(storage.urls.artifactUrl ? { artifactUrl: storage.urls.artifactUrl } : {}),
      storageSecretName: flags.storageSecret,
      logLevel: flags.workerLogLevel,
      clusterDomain: flags.clusterDomain,
    },
  };
}
