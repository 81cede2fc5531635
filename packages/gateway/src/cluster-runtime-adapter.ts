// The gateway's runtime port over a cluster runtime (the Knative backend of
// @bod/runtime-knative): instance state from its informers, the agent's tool calls to the
// project's Service address (created on first use; no token: in the cluster a NetworkPolicy
// decides who reaches workers), and releasing a project as deleting its Service, then its
// artifacts and its scene.
import type { ArtifactStore, SceneStore } from "@bod/storage";
import { UnavailableError } from "./errors/unavailable-error.ts";
import type { InstanceView, ProjectRuntime, ProjectToolEndpoints } from "./ports.ts";
import { deleteProjectData } from "./runtime-adapter.ts";

/** What the adapter needs of a cluster runtime. */
export interface ClusterRuntimeLike {
  /** The project's instance as last seen; undefined when it has none. */
  instance(projectId: string): Pick<InstanceView, "state" | "since" | "lastActivity"> | undefined;
  /** Makes sure the project's worker service exists and returns its base URL (`http://<service>.<ns>.svc.cluster.local`). */
  ensure(projectId: string, options?: { signal?: AbortSignal }): Promise<string>;
  /** Deletes the project's worker service; idempotent. */
  delete(projectId: string): Promise<void>;
}

export function createClusterRuntimeAdapter(
  runtime: ClusterRuntimeLike,
  artifacts: Pick<ArtifactStore, "deleteProject">,
  scenes?: Pick<SceneStore, "deleteProject">,
): ProjectRuntime & ProjectToolEndpoints {
  return {
    async instance(projectId) {
      const instance = runtime.instance(projectId);
      // Knative does not say how many requests a pod holds; the badge shows ready, not busy.
      return instance ? { state: instance.state, since: instance.since, lastActivity: instance.lastActivity, inFlight: 0 } : undefined;
    },
    async release(projectId) {
      // The Service goes first, so no new worker can wake for the project; its pod ends (the
      // scene store's deletion notice stops it at once) while the data is deleted.
      try {
        await runtime.delete(projectId);
      } catch (error) {
        throw new UnavailableError(`The project's worker service could not be deleted: ${(error as Error).message}`, 5);
      }
      await deleteProjectData(projectId, artifacts, scenes);
    },
    async toolEndpoint(projectId, signal) {
      return { url: `${await runtime.ensure(projectId, signal ? { signal } : {})}/mcp` };
    },
  };
}
