// The runtime package: where a project's worker runs. The Runtime port, the local activator that
// implements it over worker processes, and the HTTP front that `bod serve` puts before it.
export { type Breaker, type BreakerOptions, createBreaker } from "./breaker.ts";
export { type Clock, createManualClock, systemClock } from "./clock.ts";
export { CapacityError } from "./errors/capacity-error.ts";
export { InvalidProjectIdError } from "./errors/invalid-project-id-error.ts";
export { RuntimeClosedError } from "./errors/runtime-closed-error.ts";
export { RuntimeError, type RuntimeErrorCode } from "./errors/runtime-error.ts";
export { WorkerStartError } from "./errors/worker-start-error.ts";
export { type Authenticator, createBearerTokenAuthenticator, type Principal } from "./http/auth.ts";
export { problemFor } from "./http/problem.ts";
export { createWorkerProxy, MAX_PROXY_BODY_BYTES } from "./http/proxy.ts";
export {
  createRuntimeRequestHandler,
  createRuntimeServer,
  isRuntimePath,
  type RuntimeRequestHandler,
  type RuntimeServerOptions,
} from "./http/runtime-server.ts";
export { canTransition, INSTANCE_STATES, type InstanceState } from "./instance-state.ts";
export {
  createLocalRuntime,
  defaultMaxInstances,
  IDLE_WORKER_BYTES,
  type LocalRuntime,
  type LocalRuntimeOptions,
} from "./local-runtime.ts";
export { createRuntimeMetrics, type RuntimeMetrics } from "./metrics.ts";
export { createProcessLauncher, type ProcessLauncherOptions } from "./process-launcher.ts";
export { processTreeRss } from "./process-tree.ts";
export { createProjectArtifactStore } from "./project-artifact-store.ts";
export { createProjectFolders, type ProjectFolders } from "./project-folders.ts";
export { assertProjectId, isProjectId, PROJECT_ID_PATTERN } from "./project-id.ts";
export type { ColdStartPhases, InstanceInfo, RouteLease, RouteOptions, Runtime, WorkerEndpoint } from "./runtime.ts";
export { bwrapArguments, defaultHiddenPaths, SANDBOX_ROOT, type SandboxOptions } from "./sandbox.ts";
export type { LaunchedWorker, LaunchOptions, WorkerLauncher } from "./worker-launcher.ts";
