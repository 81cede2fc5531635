// The gateway's runtime port over the runtime package's local activator: instance state from
// `list`, and releasing a project as drain, then delete its artifacts and its folder.
import { rm } from "node:fs/promises";
import { type ArtifactStore, ArtifactStoreUnavailableError, type SceneStore, SceneStoreUnavailableError } from "@bod/storage";
import { UnavailableError } from "./errors/unavailable-error.ts";
import type { InstanceView, ProjectRuntime } from "./ports.ts";

/** What the adapter needs of a LocalRuntime. */
export interface LocalRuntimeLike {
  list(): Promise<Array<InstanceView & { projectId: string }>>;
  drain(projectId: string): Promise<void>;
  /** Where the project's files are right now (they move while a worker holds them). */
  projectDirOf(projectId: string): string;
}

/**
 * `artifacts` is where the projects' artifacts are kept (their folders, or a shared S3 store);
 * `scenes` the shared scene store when scenes live outside the project folders (PostgreSQL + S3).
 */
export function createRuntimeAdapter(
  runtime: LocalRuntimeLike,
  artifacts: Pick<ArtifactStore, "deleteProject">,
  scenes?: Pick<SceneStore, "deleteProject">,
): ProjectRuntime {
  // Listing measures every instance's memory; lookups that overlap (a project list) share one.
  let listing: ReturnType<LocalRuntimeLike["list"]> | undefined;
  const list = () => {
    listing ??= runtime.list().finally(() => {
      listing = undefined;
    });
    return listing;
  };
  return {
    async instance(projectId) {
      return (await list()).find((instance) => instance.projectId === projectId);
    },
    async release(projectId) {
      // The drain saves the scene and moves the folder back home; then its artifacts and the
      // whole folder go.
      await runtime.drain(projectId);
      try {
        await artifacts.deleteProject(projectId);
      } catch (error) {
        if (!(error instanceof ArtifactStoreUnavailableError)) throw error;
        throw new UnavailableError(`The project's artifacts could not be deleted: ${error.message}`, error.retryAfterSeconds);
      }
      try {
        await scenes?.deleteProject(projectId);
      } catch (error) {
        if (!(error instanceof SceneStoreUnavailableError)) throw error;
        throw new UnavailableError(`The project's scene could not be deleted: ${error.message}`, 5);
      }
      await rm(runtime.projectDirOf(projectId), { recursive: true, force: true });
    },
  };
}
