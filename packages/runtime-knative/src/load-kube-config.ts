// Where the gateway finds the Kubernetes API: KUBECONFIG when it is set (development, tests, an
// operator's machine), else the pod's service account (in the cluster), else ~/.kube/config.
import { KubeConfig } from "@kubernetes/client-node";

/** Loads the configuration the way kubectl and client-go do; throws with what was tried when none is found. */
export function loadKubeConfig(env: Record<string, string | undefined> = process.env): KubeConfig {
  const config = new KubeConfig();
  if (env.KUBECONFIG) config.loadFromFile(env.KUBECONFIG);
  else if (env.KUBERNETES_SERVICE_HOST) config.loadFromCluster();
  else config.loadFromDefault();
  if (!config.getCurrentCluster())
    throw new Error("No Kubernetes API found: set KUBECONFIG, run in a pod with a service account, or create ~/.kube/config.");
  return config;
}
