// A scene store that could not be reached, or did not answer within its deadline: the change at
// hand is not saved (nothing half-written is kept), and the same call can be tried again once the
// store is back.
import { BodError } from "@bod/contracts";

/** Which part of a scale-out scene store failed. */
export type SceneStoreBackend = "postgresql" | "s3";

export class SceneStoreUnavailableError extends BodError<"scene_store_unavailable", { backend: SceneStoreBackend; operation: string }> {
  readonly backend: SceneStoreBackend;
  /** What the store was doing, e.g. "append a journal line". */
  readonly operation: string;

  constructor(backend: SceneStoreBackend, operation: string, message: string, options?: { cause?: unknown }) {
    super("scene_store_unavailable", `The scene store could not ${operation}: ${message}`, { backend, operation }, options);
    this.name = "SceneStoreUnavailableError";
    this.backend = backend;
    this.operation = operation;
  }

  static is(value: unknown): value is SceneStoreUnavailableError {
    return value instanceof SceneStoreUnavailableError;
  }
}
