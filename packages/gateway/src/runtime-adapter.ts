// The gateway's runtime port over the runtime package's local activator: instance state from
// `list`, releasing a project as drain, then delete its artifacts and its folder, and the agent's
// tool calls through the runtime's `/projects/{id}/mcp` with the runtime token.
import { rm } from "node:fs/promises";
import { type ArtifactStore, ArtifactStoreUnavailableError, type SceneStore, SceneStoreUnavailableError } from "@bod/storage";
import { UnavailableError } from "./errors/unavailable-error.ts";
import type { InstanceView, ProjectRuntime, ProjectToolEndpoints } from "./ports.ts";

/** What the adapter needs of a LocalRuntime. */
export interface LocalRuntimeLike {
  list(): Promise<Array<InstanceView & { projectId: string }>>;
  drain(projectId: string): Promise<void>;
  /** Where the project's files are right now (they move while a worker holds them). */
  projectDirOf(projectId: string): string;
}

/** Where the runtime's HTTP routes are, for the agent's tool calls. */
export interface LocalRuntimeRoutes {
  /** The runtime server's base URL, e.g. `http://127.0.0.1:7800` (read at each call: it is known once the server listens). */
  baseUrl: () => string;
  /** The runtime's bearer token. */
  token: string;
}

/**
 * `artifacts` is where the projects' artifacts are kept (their folders, or a shared S3 store);
 * `scenes` the shared scene store when scenes live outside the project folders (PostgreSQL + S3).
 */
export function createRuntimeAdapter(
  runtime: LocalRuntimeLike,
  artifacts: Pick<ArtifactStore, "deleteProject">,
  scenes?: Pick<SceneStore, "deleteProject">,
): ProjectRuntime;
export function createRuntimeAdapter(
  runtime: LocalRuntimeLike,
  artifacts: Pick<ArtifactStore, "deleteProject">,
  scenes: Pick<SceneStore, "deleteProject"> | undefined,
  routes: LocalRuntimeRoutes,
): ProjectRuntime & ProjectToolEndpoints;
export function createRuntimeAdapter(
  runtime: LocalRuntimeLike,
  artifacts: Pick<ArtifactStore, "deleteProject">,
  scenes?: Pick<SceneStore, "deleteProject">,
  routes?: LocalRuntimeRoutes,
): ProjectRuntime & Partial<ProjectToolEndpoints> {
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
      await deleteProjectData(projectId, artifacts, scenes);
      await rm(runtime.projectDirOf(projectId), { recursive: true, force: true });
    },
    ...(routes
      ? {
          async toolEndpoint(projectId: string) {
            return { url: `${routes.baseUrl()}/projects/${encodeURIComponent(projectId)}/mcp`, token: routes.token };
          },
        }
      : {}),
  };
}

/** Deletes a project's artifacts and its shared scene; a store that is down is a 503 to try again. */
export async function deleteProjectData(
  projectId: string,
  artifacts: Pick<ArtifactStore, "deleteProject">,
  scenes: Pick<SceneStore, "deleteProject"> | undefined,
): Promise<void> {
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
}
