import { describe, expect, it } from "vitest";
import { type KnativeRevisionObject, type KnativeServiceObject, knativeInstanceState } from "./knative-instance-state.ts";

const LAST_USED = "blender-on-demand/last-used-at";
const created = "2026-12-01T10:00:00Z";

function service(
  status: KnativeServiceObject["status"],
  metadata: Partial<NonNullable<KnativeServiceObject["metadata"]>> = {},
): KnativeServiceObject {
  return {
    metadata: { name: "bod-p-1", creationTimestamp: created, annotations: { [LAST_USED]: "2026-12-01T10:05:00.000Z" }, ...metadata },
    status,
  };
}
const readyService = service({
  latestReadyRevisionName: "bod-p-1-00001",
  conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2026-12-01T10:00:09Z" }],
  address: { url: "http://bod-p-1.bod.svc.cluster.local" },
});
function revision(actualReplicas: number | undefined, desiredReplicas: number | undefined): KnativeRevisionObject {
  return {
    metadata: { name: "bod-p-1-00001" },
    status: {
      ...(actualReplicas === undefined ? {} : { actualReplicas }),
      ...(desiredReplicas === undefined ? {} : { desiredReplicas }),
      conditions: [{ type: "Active", status: actualReplicas ? "True" : "False", lastTransitionTime: "2026-12-01T10:06:00Z" }],
    },
  };
}

describe("knativeInstanceState", () => {
  it("has no instance without a Service (asleep until first use)", () => {
    expect(knativeInstanceState(undefined, undefined, LAST_USED)).toBeUndefined();
  });

  it("is starting while a new Service has never been ready", () => {
    expect(knativeInstanceState(service(undefined), undefined, LAST_USED)?.state).toBe("starting");
    expect(knativeInstanceState(service({ conditions: [{ type: "Ready", status: "Unknown" }] }), undefined, LAST_USED)?.state).toBe(
      "starting",
    );
  });

  it("is stopped with the reason when Knative says the Service failed", () => {
    const failed = service({
      conditions: [{ type: "Ready", status: "False", reason: "RevisionFailed", message: "Back-off pulling image" }],
    });
    expect(knativeInstanceState(failed, undefined, LAST_USED)).toMatchObject({ state: "stopped", failure: "Back-off pulling image" });
  });

  it("reads sleep and wake from the revision's replicas: Knative keeps a scaled-to-zero Service Ready", () => {
    const at = (actual: number | undefined, desired: number | undefined) =>
      knativeInstanceState(readyService, revision(actual, desired), LAST_USED)?.state;
    expect(at(1, 1)).toBe("ready");
    expect(at(1, undefined)).toBe("ready");
    expect(at(0, 1)).toBe("starting");
    expect(at(1, 0)).toBe("draining");
    expect(at(0, 0)).toBe("stopped");
    expect(at(undefined, undefined)).toBe("stopped");
    expect(knativeInstanceState(readyService, undefined, LAST_USED)?.state).toBe("stopped");
  });

  it("is draining while the Service is being deleted", () => {
    const deleting = { ...readyService, metadata: { ...readyService.metadata, deletionTimestamp: "2026-12-01T11:00:00Z" } };
    expect(knativeInstanceState(deleting, revision(1, 1), LAST_USED)).toMatchObject({ state: "draining", since: "2026-12-01T11:00:00Z" });
  });

  it("dates the state from the revision's Active condition and the activity from the last-used annotation, whichever is later", () => {
    const instance = knativeInstanceState(readyService, revision(1, 1), LAST_USED)!;
    expect(instance.since).toBe("2026-12-01T10:06:00Z");
    expect(instance.lastActivity).toBe("2026-12-01T10:06:00Z");
    const later = service(readyService.status, { annotations: { [LAST_USED]: "2026-12-01T10:30:00.000Z" } });
    expect(knativeInstanceState(later, revision(1, 1), LAST_USED)!.lastActivity).toBe("2026-12-01T10:30:00.000Z");
  });
});
