// End-to-end tier: what `bin/bod deploy manifests` and `bin/bod deploy worker-service` print, run
// through the offline validator (deploy/validate, built here or reused from the cache). The
// validator runs Knative Serving's own defaulting and validation on the worker Service, in a
// context configured by the Knative ConfigMaps the manifests print, and decodes every other
// object strictly into its k8s.io/api type with apimachinery's checks. The broken variants show
// that it refuses what a cluster would refuse, so these tests can fail. What it does not cover (no
// API server, no admission chain, no network plugin) is in docs/deploy.md.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../../..");
/** A cold build compiles Knative's and Kubernetes' API packages: minutes on two busy cores. */
const BUILD_TIMEOUT_MS = 20 * 60_000;
const WORKERS = "blender-on-demand-workers";
const STATE_URL = "postgres://bod@10.0.12.5:5432/bod";
const ARTIFACT_URL = "s3://bod-artifacts?endpoint=https://10.0.20.7:9000&region=eu-west-1&forcePathStyle=true";

let validator: string;
let folder: string;

/** The environment `bin/bod` gets: the run's own, without store settings that would change the output. */
function bodEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["BOD_STATE_URL", "BOD_ARTIFACT_URL", "BOD_LLM_PROVIDER", "BOD_LLM_MODEL", "BOD_LLM_BASE_URL"]) delete env[name];
  return env;
}

async function bod(args: string[]): Promise<string> {
  const { stdout } = await run(join(root, "bin/bod"), args, { env: bodEnvironment(), maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Runs the validator on the given YAML texts (one file each); never throws on a refusal. */
async function validate(...texts: string[]): Promise<{ code: number; output: string }> {
  const files: string[] = [];
  for (const text of texts) {
    const file = join(folder, `input-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, text);
    files.push(file);
  }
  try {
    const { stdout } = await run(validator, files, { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: stdout };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, output: `${failure.stdout ?? ""}${failure.stderr ?? ""}` };
  }
}

/** `text` with `from` replaced by `to`, failing when `from` is not there (so no mutation is silently lost). */
function mutate(text: string, from: string | RegExp, to: string): string {
  const changed = text.replace(from, to);
  expect(changed, `expected ${String(from)} in the printed YAML`).not.toBe(text);
  return changed;
}

beforeAll(async () => {
  const started = Date.now();
  const { stdout } = await run(join(root, "deploy/validate/build.sh"), [], { timeout: BUILD_TIMEOUT_MS });
  validator = stdout.trim();
  console.log(`manifest validator ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${validator}`);
  folder = await mkdtemp(join(tmpdir(), "bod-deploy-manifests-"));
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe("bod deploy manifests, validated offline", () => {
  it("passes with the defaults: every object, and the worker Service under the manifests' Knative settings", async () => {
    const manifests = await bod(["deploy", "manifests"]);
    const service = await bod(["deploy", "worker-service", "--project", "p-1234", "--namespace", WORKERS]);
    const result = await validate(manifests, service);
    expect(result.output).toMatch(
      /^Knative settings: config-autoscaler from .*config-defaults from .*max-revision-timeout-seconds=1800.*config-features from .*kubernetes.podspec-runtimeclassname=enabled/m,
    );
    for (const line of [
      "ok    Namespace blender-on-demand",
      `ok    Role ${WORKERS}/blender-on-demand-gateway`,
      "ok    Deployment blender-on-demand/blender-on-demand-gateway",
      "ok    ConfigMap knative-serving/config-features",
      `ok    NetworkPolicy ${WORKERS}/workers-ingress`,
      `ok    Service ${WORKERS}/bod-p-1234-`,
    ])
      expect(result.output).toContain(line);
    expect(result.output).toMatch(/^all 18 objects are valid$/m);
    expect(result.code, result.output).toBe(0);
  });

  it("passes with Kata, a real registry, the image pre-pulled and long renders, which Knative refuses without the manifests' settings", async () => {
    const options = ["--runtime-class", "kata", "--request-timeout", "3600", "--state-url", STATE_URL, "--artifact-url", ARTIFACT_URL];
    const manifests = await bod(["deploy", "manifests", ...options, "--image-registry", "ghcr.io/acme", "--tag", "1.0.0", "--prepull"]);
    const service = await bod([
      "deploy",
      "worker-service",
      "--project",
      "p-1234",
      "--namespace",
      WORKERS,
      "--worker-image",
      "ghcr.io/acme/blender-on-demand/worker:1.0.0",
      ...options,
    ]);
    expect(manifests).toContain("kind: RuntimeClass");
    const valid = await validate(manifests, service);
    expect(valid.output).toMatch(/^ok {4}RuntimeClass kata$/m);
    expect(valid.output).toMatch(/^ok {4}DaemonSet blender-on-demand-workers\/blender-on-demand-worker-prepull$/m);
    expect(valid.code, valid.output).toBe(0);
    // Knative's defaults: no runtimeClassName, and at most 600 s per request.
    const alone = await validate(service);
    expect(alone.output).toContain("must not set the field(s): spec.template.spec.runtimeClassName");
    expect(alone.output).toContain("expected 0 <= 3600 <= 600: spec.template.spec.timeoutSeconds");
    expect(alone.code).toBe(1);
  });

  it("refuses a broken worker Service: a max-scale that is no number, a negative containerConcurrency, an unknown field", async () => {
    const manifests = await bod(["deploy", "manifests"]);
    const service = await bod(["deploy", "worker-service", "--project", "p-1234", "--namespace", WORKERS]);
    const cases: Array<[string, string]> = [
      [
        mutate(service, /(autoscaling\.knative\.dev\/max-scale: )'1'/, "$1abc"),
        "invalid value: abc: spec.template.metadata.annotations.autoscaling.knative.dev/max-scale",
      ],
      [
        mutate(service, /containerConcurrency: 10/, "containerConcurrency: -1"),
        "expected 0 <= -1 <= 1000: spec.template.spec.containerConcurrency",
      ],
      [
        mutate(service, /( +)enableServiceLinks: false\n/, "$1enableServiceLinks: false\n$1nodeName: somewhere\n"),
        "must not set the field(s): spec.template.spec.nodeName",
      ],
      [
        mutate(service, /( +)enableServiceLinks: false\n/, "$1enableServiceLinks: false\n$1bogusField: 1\n"),
        'unknown field "spec.template.spec.bogusField"',
      ],
      [mutate(service, /timeoutSeconds: 900/, "timeoutSeconds: 1801"), "expected 0 <= 1801 <= 1800: spec.template.spec.timeoutSeconds"],
    ];
    for (const [broken, message] of cases) {
      const result = await validate(manifests, broken);
      expect(result.output).toMatch(/^FAIL {2}Service blender-on-demand-workers\/bod-p-1234-/m);
      expect(result.output).toContain(message);
      expect(result.output).toMatch(/^1 of 18 objects are invalid$/m);
      expect(result.code).toBe(1);
    }
  });

  it("refuses broken Kubernetes objects and Knative settings the cluster would refuse or ignore", async () => {
    const manifests = await bod(["deploy", "manifests"]);
    const cases: Array<[string, RegExp]> = [
      // A selector that no longer matches the pod template's labels.
      [
        mutate(
          manifests,
          /(matchLabels:\n +)app\.kubernetes\.io\/name: blender-on-demand-gateway\n( +strategy:)/,
          "$1app.kubernetes.io/name: something-else\n$2",
        ),
        /`selector` does not match template `labels`/,
      ],
      // A field the Deployment type does not have (a typo of `replicas`).
      [mutate(manifests, /replicas: 2/, "replica: 2"), /unknown field "spec.replica"/],
      // The same environment variable twice: the schema's keyed list refuses it.
      [
        mutate(manifests, /( +)- name: AWS_REGION\n/, "$1- name: AWS_REGION\n$1  value: x\n$1- name: AWS_REGION\n"),
        /schema: .*duplicate entries for key \[name="AWS_REGION"\]/,
      ],
      [mutate(manifests, /( +)- name: AWS_REGION\n/, "$1- name: 1AWS_REGION\n"), /env\[\d+\]\.name: Invalid value: "1AWS_REGION"/],
      [mutate(manifests, /cidr: 0\.0\.0\.0\/0/, "cidr: 10.0.0.0/33"), /ipBlock\.cidr: Invalid value: "10\.0\.0\.0\/33"/],
      [mutate(manifests, /port: 9090/, "port: 90900"), /port: Invalid value: 90900/],
      [
        mutate(manifests, /name: blender-on-demand-workers\n---/, "name: Blender_Workers\n---"),
        /metadata.name: Invalid value: "Blender_Workers"/,
      ],
      [
        mutate(manifests, /max-revision-timeout-seconds: '1800'/, "max-revision-timeout-seconds: abc"),
        /Knative refuses config-defaults: failed to parse "max-revision-timeout-seconds"/,
      ],
      [
        mutate(manifests, /allow-zero-initial-scale: 'true'/, "allow-zero-inital-scale: 'true'"),
        /key "allow-zero-inital-scale" changes nothing in Knative's settings/,
      ],
      [
        mutate(
          manifests,
          /readinessProbe:\n( +)failureThreshold: 3\n/,
          "readinessProbe:\n$1failureThreshold: 3\n$1exec:\n$1  command: [/bin/true]\n",
        ),
        /exactly one handler/,
      ],
    ];
    for (const [broken, message] of cases) {
      const result = await validate(broken);
      expect(result.output, String(message)).toMatch(message);
      expect(result.output).toMatch(/^1 of 17 objects are invalid$/m);
      expect(result.code).toBe(1);
    }
    // Not a Kubernetes object at all, and a kind the validator does not know.
    const stray = await validate(`${manifests}---\njust: text\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n`);
    expect(stray.output).toMatch(/not a Kubernetes object \(apiVersion and kind are required\)/);
    expect(stray.output).toMatch(/example.com\/v1, Kind=Widget is not a kind this validator knows/);
    expect(stray.code).toBe(1);
  });
});
