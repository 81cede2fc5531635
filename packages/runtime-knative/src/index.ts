// The Knative runtime backend: each project's worker as a Knative Service (serving.knative.dev/v1)
// created on first use with server-side apply, its state from an informer, deleted with the
// project or after days unused. `./worker-service` alone builds the Service without loading the
// Kubernetes client.
export { dumpYaml } from "@kubernetes/client-node";
export * from "./worker-service.ts";
