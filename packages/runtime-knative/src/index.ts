// The Knative runtime backend: each project's worker as a Knative Service (serving.knative.dev/v1)
// created on first use with server-side apply, its state from an informer, deleted with the
// project or after days unused. `./worker-service` alone builds the Service without loading the
// Kubernetes client.
export { dumpYaml, KubeConfig, loadYaml } from "@kubernetes/client-node";
export {
  conditionOf,
  type KnativeCondition,
  type KnativeInstance,
  type KnativeInstanceState,
  type KnativeRevisionObject,
  type KnativeServiceObject,
  knativeInstanceState,
} from "./knative-instance-state.ts";
export {
  createKnativeRuntime,
  expectedWorkerUrl,
  type KnativeRuntime,
  KnativeRuntimeError,
  type KnativeRuntimeOptions,
} from "./knative-runtime.ts";
export { loadKubeConfig } from "./load-kube-config.ts";
export * from "./worker-service.ts";
