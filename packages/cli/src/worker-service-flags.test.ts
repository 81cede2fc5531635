// The worker Service flags shared by `bod gateway --runtime knative` and `bod deploy
// worker-service`, and `bod gateway`'s configuration: defaults, what each flag sets, and refusals
// that name the flag.
import { describe, expect, it } from "vitest";
import { parseGatewayConfig } from "./commands/gateway.ts";
import { parseWorkerServiceFlags } from "./worker-service-flags.ts";

const STORES = {
  stateUrl: "postgres://bod@db:5432/bod",
  artifactUrl: "s3://renders?endpoint=http://minio:9000&region=us-east-1&forcePathStyle=true",
};

describe("parseWorkerServiceFlags", () => {
  it("defaults to the documented Service settings", () => {
    const parsed = parseWorkerServiceFlags({}, "bod", {});
    expect(parsed).toEqual({
      ok: true,
      settings: {
        namespace: "bod",
        image: "localhost/blender-on-demand/worker:dev",
        idleWindowSeconds: 60,
        containerConcurrency: 10,
        timeoutSeconds: 900,
        responseStartTimeoutSeconds: 900,
        idleTimeoutSeconds: 0,
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
        storageSecretName: "blender-on-demand-storage",
        logLevel: "info",
        clusterDomain: "cluster.local",
      },
    });
  });

  it("takes every flag, and the stores from the environment when no flag names them", () => {
    const parsed = parseWorkerServiceFlags(
      {
        workerImage: "registry.example/worker:1.2",
        idleWindow: "300",
        containerConcurrency: "4",
        requestTimeout: "1200",
        responseStartTimeout: "60",
        streamIdleTimeout: "120",
        runtimeClass: "kata",
        workerCpuRequest: "1",
        workerMemoryLimit: "8Gi",
        storageSecret: "stores",
      },
      "bod",
      { BOD_STATE_URL: STORES.stateUrl, BOD_ARTIFACT_URL: STORES.artifactUrl },
    );
    expect(parsed.ok && parsed.settings).toMatchObject({
      image: "registry.example/worker:1.2",
      idleWindowSeconds: 300,
      containerConcurrency: 4,
      timeoutSeconds: 1200,
      responseStartTimeoutSeconds: 60,
      idleTimeoutSeconds: 120,
      runtimeClassName: "kata",
      resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "8Gi" } },
      storageSecretName: "stores",
      stateUrl: STORES.stateUrl,
      artifactUrl: STORES.artifactUrl,
    });
  });

  it("refuses values a cluster would refuse, naming the flag", () => {
    const refused = (flags: Record<string, string>, namespace = "bod") => {
      const parsed = parseWorkerServiceFlags(flags, namespace, {});
      return parsed.ok ? "accepted" : parsed.message;
    };
    expect(refused({ containerConcurrency: "1" })).toMatch(/containerConcurrency/);
    expect(refused({ idleWindow: "5" })).toMatch(/idleWindow/);
    expect(refused({ workerMemoryLimit: "lots" })).toMatch(/Kubernetes quantity/);
    expect(refused({ requestTimeout: "60", responseStartTimeout: "61" })).toMatch(
      /--response-start-timeout must not exceed --request-timeout/,
    );
    expect(refused({ requestTimeout: "60", streamIdleTimeout: "61" })).toMatch(/--stream-idle-timeout must not exceed --request-timeout/);
    expect(refused({}, "Bod")).toMatch(/namespace "Bod": a DNS label/);
    expect(refused({ stateUrl: "postgres://bod:secret@db/bod" })).toMatch(/--state-url: put the password in PGPASSWORD/);
  });
});

describe("parseGatewayConfig", () => {
  it("runs the local activator by default", async () => {
    const parsed = await parseGatewayConfig({}, {});
    expect(parsed.ok && parsed.config.runtime).toBe("local");
  });

  it("needs a namespace and the shared stores for Knative, and says why", async () => {
    const message = async (flags: Record<string, unknown>) => {
      const parsed = await parseGatewayConfig(flags, {});
      return parsed.ok ? "accepted" : parsed.message;
    };
    expect(await message({ runtime: "knative" })).toMatch(/--runtime knative needs --kube-namespace/);
    expect(await message({ runtime: "knative", kubeNamespace: "bod" })).toMatch(
      /needs --state-url \(PostgreSQL\) and --artifact-url \(S3\)/,
    );
    expect(await message({ kubeNamespace: "bod" })).toMatch(/--kube-namespace needs --runtime knative/);
    expect(await message({ runtime: "kubernetes" })).toMatch(/runtime/);
  });

  it("builds the Service settings from the same flags as bod deploy worker-service", async () => {
    const parsed = await parseGatewayConfig(
      { runtime: "knative", kubeNamespace: "bod", ...STORES, idleWindow: "90", deleteIdleAfter: "3" },
      {},
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok || parsed.config.runtime !== "knative") return;
    expect(parsed.config.worker).toMatchObject({ namespace: "bod", idleWindowSeconds: 90, ...STORES });
    expect(parsed.config.deleteIdleAfterDays).toBe(3);
  });
});
