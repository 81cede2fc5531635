import { describe, expect, it } from "vitest";
import {
  buildWorkerService,
  LAST_USED_ANNOTATION,
  WORKER_SERVICE_DEFAULTS,
  type WorkerServiceSettings,
  workerServiceName,
  workerServiceUrl,
} from "./worker-service.ts";

const settings: WorkerServiceSettings = {
  ...WORKER_SERVICE_DEFAULTS,
  namespace: "bod",
  stateUrl: "postgres://bod@db:5432/bod",
  artifactUrl: "s3://renders?endpoint=http://minio:9000&region=us-east-1&forcePathStyle=true",
};
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe("workerServiceName", () => {
  it("is bod-<id>-<hash>, a DNS label short enough for Knative's revision suffix", () => {
    const name = workerServiceName("red-cube");
    expect(name).toMatch(/^bod-red-cube-[0-9a-f]{8}$/);
    expect(name).toMatch(DNS_1035_LABEL);
    expect(workerServiceName("red-cube")).toBe(name);
  });

  it("keeps the longest ids within 53 characters and apart from each other", () => {
    const a = `${"a".repeat(40)}-${"b".repeat(22)}`;
    const b = `${"a".repeat(40)}-${"c".repeat(22)}`;
    for (const id of [a, b, "9".repeat(63), `${"x".repeat(39)}-y`]) {
      const name = workerServiceName(id);
      expect(name.length).toBeLessThanOrEqual(53);
      expect(`${name}-00001`.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(DNS_1035_LABEL);
    }
    expect(workerServiceName(a)).not.toBe(workerServiceName(b));
    // A slug cut right before a hyphen does not end in one.
    expect(workerServiceName(`${"x".repeat(39)}-y`)).toMatch(/^bod-x{39}-[0-9a-f]{8}$/);
  });

  it("refuses what is not a project id, saying what is allowed", () => {
    for (const bad of ["", "Red", "a_b", "-a", "a-", "a--b", "x".repeat(64)])
      expect(() => workerServiceName(bad)).toThrow(/a-z, 0-9 and single hyphens/);
  });

  it("gives the cluster-local URL", () => {
    expect(workerServiceUrl("red-cube", "bod")).toBe(`http://${workerServiceName("red-cube")}.bod.svc.cluster.local`);
  });
});

describe("buildWorkerService", () => {
  const at = new Date("2026-12-01T10:00:00.000Z");

  it("builds the exact Service: cluster-local, KPA 0..1 with the idle window, concurrency, timeouts, probe, resources, env", () => {
    const service = buildWorkerService("red-cube", { ...settings, runtimeClassName: "kata" }, at);
    const name = workerServiceName("red-cube");
    const host = `${name}.bod.svc.cluster.local`;
    expect(service).toEqual({
      apiVersion: "serving.knative.dev/v1",
      kind: "Service",
      metadata: {
        name,
        namespace: "bod",
        labels: {
          "app.kubernetes.io/name": "blender-on-demand-worker",
          "app.kubernetes.io/part-of": "blender-on-demand",
          "app.kubernetes.io/managed-by": "blender-on-demand",
          "app.kubernetes.io/component": "worker",
          "blender-on-demand/project": "red-cube",
          "networking.knative.dev/visibility": "cluster-local",
        },
        annotations: { [LAST_USED_ANNOTATION]: "2026-12-01T10:00:00.000Z" },
      },
      spec: {
        template: {
          metadata: {
            labels: {
              "app.kubernetes.io/name": "blender-on-demand-worker",
              "app.kubernetes.io/part-of": "blender-on-demand",
              "app.kubernetes.io/managed-by": "blender-on-demand",
              "app.kubernetes.io/component": "worker",
              "blender-on-demand/project": "red-cube",
            },
            annotations: {
              "autoscaling.knative.dev/class": "kpa.autoscaling.knative.dev",
              "autoscaling.knative.dev/min-scale": "0",
              "autoscaling.knative.dev/max-scale": "1",
              "autoscaling.knative.dev/window": "60s",
            },
          },
          spec: {
            containerConcurrency: 10,
            timeoutSeconds: 900,
            responseStartTimeoutSeconds: 900,
            enableServiceLinks: false,
            runtimeClassName: "kata",
            containers: [
              {
                name: "worker",
                image: "localhost/blender-on-demand/worker:dev",
                args: [
                  "worker",
                  "--host",
                  "0.0.0.0",
                  "--port",
                  "8080",
                  "--data-dir",
                  "/tmp/bod-project",
                  "--project-id",
                  "red-cube",
                  "--public-url",
                  `http://${host}`,
                  "--allowed-host",
                  host,
                  `${name}.bod.svc`,
                  `${name}.bod`,
                  name,
                ],
                ports: [{ name: "http1", containerPort: 8080 }],
                env: [
                  { name: "BOD_LOG_LEVEL", value: "info" },
                  { name: "BOD_STATE_URL", value: "postgres://bod@db:5432/bod" },
                  { name: "BOD_ARTIFACT_URL", value: "s3://renders?endpoint=http://minio:9000&region=us-east-1&forcePathStyle=true" },
                ],
                envFrom: [{ secretRef: { name: "blender-on-demand-storage", optional: false } }],
                readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1, failureThreshold: 3 },
                resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                  seccompProfile: { type: "RuntimeDefault" },
                },
              },
            ],
          },
        },
      },
    });
  });

  it("never puts a credential inline: the env holds URLs without passwords, the keys come from the Secret", () => {
    const service = buildWorkerService("red-cube", settings, at);
    const container = service.spec.template.spec.containers[0]!;
    for (const entry of container.env) expect(entry.name).not.toMatch(/PASSWORD|SECRET|ACCESS_KEY/);
    expect(() => buildWorkerService("red-cube", { ...settings, stateUrl: "postgres://bod:hunter2@db/bod" }, at)).toThrow(
      /must not carry a password.*blender-on-demand-storage/,
    );
  });

  it("takes the idle window, concurrency, timeouts and runtime class from the settings, and leaves out what is unset", () => {
    const service = buildWorkerService(
      "p1",
      {
        ...settings,
        idleWindowSeconds: 300,
        containerConcurrency: 4,
        timeoutSeconds: 1200,
        responseStartTimeoutSeconds: 60,
        idleTimeoutSeconds: 120,
      },
      at,
    );
    expect(service.spec.template.metadata.annotations["autoscaling.knative.dev/window"]).toBe("300s");
    const spec = service.spec.template.spec;
    expect([spec.containerConcurrency, spec.timeoutSeconds, spec.responseStartTimeoutSeconds, spec.idleTimeoutSeconds]).toEqual([
      4, 1200, 60, 120,
    ]);
    expect("runtimeClassName" in spec).toBe(false);
    const bare = buildWorkerService("p1", { ...WORKER_SERVICE_DEFAULTS, namespace: "bod" }, at);
    expect(bare.spec.template.spec.containers[0]!.env).toEqual([{ name: "BOD_LOG_LEVEL", value: "info" }]);
    expect("idleTimeoutSeconds" in bare.spec.template.spec).toBe(false);
  });

  it("refuses settings a cluster would refuse or that block MCP streams, naming the rule", () => {
    const cases: Array<[Partial<WorkerServiceSettings>, RegExp]> = [
      [{ namespace: "Bod" }, /DNS label/],
      [{ containerConcurrency: 1 }, /containerConcurrency must be a whole number from 2/],
      [{ idleWindowSeconds: 5 }, /idleWindowSeconds must be a whole number from 6 to 3600/],
      [{ timeoutSeconds: 60, responseStartTimeoutSeconds: 61 }, /responseStartTimeoutSeconds must be a whole number from 1 to 60/],
      [{ runtimeClassName: "Kata!" }, /runtimeClassName/],
      [{ image: " " }, /image/],
    ];
    for (const [change, message] of cases) expect(() => buildWorkerService("p1", { ...settings, ...change }, at)).toThrow(message);
  });
});
