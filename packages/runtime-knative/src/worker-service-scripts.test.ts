// Unit tier: a worker Service that offers run_script: only with a (microVM) runtime class, told so in
// its environment, and with the seccomp profile that lets the worker build the scripts' sandbox.
import { describe, expect, it } from "vitest";
import { buildWorkerService, WORKER_SERVICE_DEFAULTS, type WorkerServiceSettings } from "./worker-service.ts";

const settings: WorkerServiceSettings = { ...WORKER_SERVICE_DEFAULTS, namespace: "bod" };

function container(service: ReturnType<typeof buildWorkerService>) {
  const [worker] = service.spec.template.spec.containers;
  if (!worker) throw new Error("no container");
  return worker;
}

describe("a worker Service with scripts", () => {
  it("is refused without a runtime class, naming what is needed", () => {
    expect(() => buildWorkerService("red-cube", { ...settings, allowScripts: true })).toThrow(/allowScripts needs runtimeClassName/);
  });

  it("tells the worker scripts are allowed and that a microVM isolates it, and lifts the default seccomp profile", () => {
    const service = buildWorkerService("red-cube", { ...settings, allowScripts: true, runtimeClassName: "kata" });
    expect(service.spec.template.spec.runtimeClassName).toBe("kata");
    expect(container(service).env).toEqual(
      expect.arrayContaining([
        { name: "BOD_ALLOW_SCRIPTS", value: "1" },
        { name: "BOD_WORKER_ISOLATION", value: "microvm" },
      ]),
    );
    expect(container(service).securityContext.seccompProfile.type).toBe("Unconfined");
  });

  it("leaves a Service without scripts as it was", () => {
    const service = buildWorkerService("red-cube", { ...settings, runtimeClassName: "kata" });
    expect(container(service).env.map((variable) => variable.name)).not.toContain("BOD_ALLOW_SCRIPTS");
    expect(container(service).env.map((variable) => variable.name)).not.toContain("BOD_WORKER_ISOLATION");
    expect(container(service).securityContext.seccompProfile.type).toBe("RuntimeDefault");
  });
});
