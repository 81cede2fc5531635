// What a project's Blender is doing, read from the Knative objects an informer keeps: the Service
// (does it exist, is it being deleted, has it ever been ready) and the revision it routes to (how
// many pods the autoscaler wants and has). Knative keeps a scaled-to-zero Service Ready, so sleep
// and wake show only on the revision's replica counts.

/** One condition of a Knative object's status. */
export interface KnativeCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The fields of a Knative Service the backend reads. */
export interface KnativeServiceObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  status?: {
    observedGeneration?: number;
    conditions?: KnativeCondition[];
    latestReadyRevisionName?: string;
    latestCreatedRevisionName?: string;
    url?: string;
    address?: { url?: string };
  };
}

/** The fields of a Knative Revision the backend reads. */
export interface KnativeRevisionObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; creationTimestamp?: string | Date };
  status?: { actualReplicas?: number; desiredReplicas?: number; conditions?: KnativeCondition[] };
}

/** The gateway's instance states: asleep is "stopped", waking is "starting". */
export type KnativeInstanceState = "starting" | "ready" | "draining" | "stopped";

export interface KnativeInstance {
  state: KnativeInstanceState;
  /** ISO 8601 of the last change the objects record. */
  since: string;
  /** ISO 8601 of the Service's last use (its last-used annotation), else `since`. */
  lastActivity: string;
  /** Why the Service is not ready, when Knative says it failed (Ready=False). */
  failure?: string;
}

/** The condition of `type`, if the object has one. */
export function conditionOf(conditions: KnativeCondition[] | undefined, type: string): KnativeCondition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

function iso(value: string | Date | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value.toISOString();
}

/**
 * Maps a Service and its routed revision to an instance state:
 *
 * | objects | state (badge) |
 * | --- | --- |
 * | no Service | none (asleep; created on first use) |
 * | Service with deletionTimestamp | draining (sleeping) |
 * | Service never ready (no latestReadyRevisionName) | starting (waking), or stopped with `failure` when Ready=False |
 * | revision: actualReplicas >= 1, desiredReplicas 0 | draining (scaling to zero) |
 * | revision: actualReplicas >= 1 | ready |
 * | revision: actualReplicas 0, desiredReplicas >= 1 | starting (waking from zero) |
 * | revision: 0 and 0, or not seen yet | stopped (asleep) |
 */
export function knativeInstanceState(
  service: KnativeServiceObject | undefined,
  revision: KnativeRevisionObject | undefined,
  lastUsedAnnotation: string,
): KnativeInstance | undefined {
  if (!service) return undefined;
  const ready = conditionOf(service.status?.conditions, "Ready");
  const created = iso(service.metadata?.creationTimestamp) ?? new Date(0).toISOString();
  const lastUsed = service.metadata?.annotations?.[lastUsedAnnotation];
  const withActivity = (state: KnativeInstanceState, since: string, failure?: string): KnativeInstance => ({
    state,
    since,
    lastActivity: lastUsed && Date.parse(lastUsed) > Date.parse(since) ? lastUsed : since,
    ...(failure ? { failure } : {}),
  });
  const deleting = iso(service.metadata?.deletionTimestamp);
  if (deleting) return withActivity("draining", deleting);
  if (!service.status?.latestReadyRevisionName) {
    if (ready?.status === "False")
      return withActivity("stopped", ready.lastTransitionTime ?? created, ready.message ?? ready.reason ?? "the Service is not ready");
    return withActivity("starting", ready?.lastTransitionTime ?? created);
  }
  const active = conditionOf(revision?.status?.conditions, "Active");
  const since = active?.lastTransitionTime ?? ready?.lastTransitionTime ?? created;
  const actual = revision?.status?.actualReplicas ?? 0;
  const desired = revision?.status?.desiredReplicas;
  if (actual >= 1) return withActivity(desired === 0 ? "draining" : "ready", since);
  if ((desired ?? 0) >= 1) return withActivity("starting", since);
  return withActivity("stopped", since);
}
