// Prometheus metrics of the runtime, on a registry of its own (so tests and several runtimes in
// one process do not collide). Served at /metrics by the HTTP front.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { INSTANCE_STATES, type InstanceState } from "./instance-state.ts";

export const COLD_START_PHASES = ["queue", "spawn", "blender_ready", "scene_restore", "total"] as const;
export type ColdStartPhase = (typeof COLD_START_PHASES)[number];

export interface RuntimeMetrics {
  registry: Registry;
  coldStarts: Counter<"source" | "outcome">;
  coldStartSeconds: Histogram<"phase" | "source">;
  inFlight: Gauge;
  streams: Gauge;
  queueLength: Gauge;
  instances: Gauge<"state">;
  poolWorkers: Gauge<"state">;
  drains: Counter<"reason">;
  crashes: Counter;
  proxied: Counter<"status">;
  hopSeconds: Histogram;
  /** Points the scrape-time gauges at their owner (the activator calls this once). */
  setSources(next: MetricSources): void;
}

/** Where scrape-time gauges read their values. */
export interface MetricSources {
  instanceCounts?: () => Record<InstanceState, number>;
  poolCounts?: () => Record<string, number>;
}

/**
 * Builds the metrics. `instanceCounts` and `poolCounts` are read at scrape time, so the gauges
 * never drift from the activator's own bookkeeping.
 */
export function createRuntimeMetrics(sources: MetricSources = {}): RuntimeMetrics {
  let current = sources;
  const registry = new Registry();
  const metrics = {
    registry,
    coldStarts: new Counter({
      name: "bod_runtime_cold_starts_total",
      help: "Worker starts for a project, by source (pool or spawn) and outcome (ok, timeout, failed).",
      labelNames: ["source", "outcome"] as const,
      registers: [registry],
    }),
    coldStartSeconds: new Histogram({
      name: "bod_runtime_cold_start_seconds",
      help: "Duration of each phase of a cold start: queue (waiting for a slot), spawn, blender_ready, scene_restore, total.",
      labelNames: ["phase", "source"] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 3, 6, 12, 30],
      registers: [registry],
    }),
    inFlight: new Gauge({ name: "bod_runtime_requests_in_flight", help: "Requests being served by workers.", registers: [registry] }),
    streams: new Gauge({
      name: "bod_runtime_streams_open",
      help: "Open GET event streams (they do not keep a worker awake).",
      registers: [registry],
    }),
    queueLength: new Gauge({
      name: "bod_runtime_queue_length",
      help: "Instance starts waiting for a free slot (capacity queue).",
      registers: [registry],
    }),
    instances: new Gauge({
      name: "bod_runtime_instances",
      help: "Project instances by state.",
      labelNames: ["state"] as const,
      registers: [registry],
      collect() {
        const counts = current.instanceCounts?.();
        for (const state of INSTANCE_STATES) this.set({ state }, counts?.[state] ?? 0);
      },
    }),
    poolWorkers: new Gauge({
      name: "bod_runtime_pool_workers",
      help: "Warm pool workers not yet bound to a project, by state (warming, idle).",
      labelNames: ["state"] as const,
      registers: [registry],
      collect() {
        const counts = current.poolCounts?.() ?? {};
        for (const state of ["warming", "idle"]) this.set({ state }, counts[state] ?? 0);
      },
    }),
    drains: new Counter({
      name: "bod_runtime_drains_total",
      help: "Drains started, by reason (idle, evict, manual, shutdown).",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    crashes: new Counter({
      name: "bod_runtime_worker_crashes_total",
      help: "Workers that exited without being drained.",
      registers: [registry],
    }),
    proxied: new Counter({
      name: "bod_runtime_proxied_requests_total",
      help: "Requests proxied to workers, by response status.",
      labelNames: ["status"] as const,
      registers: [registry],
    }),
    hopSeconds: new Histogram({
      name: "bod_runtime_hop_seconds",
      help: "Time the runtime adds before a request reaches its worker (routing and connection), for warm instances.",
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01],
      registers: [registry],
    }),
    setSources(next: MetricSources) {
      current = next;
    },
  };
  return metrics;
}
