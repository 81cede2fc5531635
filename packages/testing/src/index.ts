// Real servers for the e2e tests: a fresh database or bucket per test on the run's shared
// PostgreSQL and S3 server, servers of a test's own to stop, kill and restart, and a TCP proxy
// that makes a server look down or slow from the client's side.
export { createFaultProxy, type FaultProxy, type FaultProxyOptions, type FaultProxyTarget } from "./fault-proxy.ts";
export { freePort } from "./free-port.ts";
export {
  type KubeApiServer,
  type KubeApiServerOptions,
  type KubeObject,
  type KubeRequestRecord,
  type KubeResourceType,
  type KubeWatchEventType,
  startKubeApiServer,
} from "./kube-api-server.ts";
export {
  buildImages,
  type Container,
  type ContainerOptions,
  GATEWAY_IMAGE,
  type ImageConfig,
  IN_CI,
  imageConfig,
  imageSize,
  type PodmanResult,
  podman,
  podmanResult,
  prepareImages,
  runContainer,
  runOnce,
  WORKER_IMAGE,
  waitForHttp,
} from "./podman.ts";
export { LOCAL_PODMAN_RUN_FLAGS } from "./podman-run-flags.ts";
export { type PostgresServer, type PostgresServerOptions, startPostgres } from "./postgres-server.ts";
export { type S3Server, type S3ServerOptions, startS3Server } from "./s3-server.ts";
export { postgresBinDirectory, VERSITYGW_VERSION, versitygwCacheDirectory, versitygwPath } from "./server-binaries.ts";
export { BPY_TEST_VERSIONS, bpyProjectName, bpyPythonPath, testCacheDir } from "./test-blenders.ts";
export { createTestBucket, type TestBucket, type TestBucketOptions } from "./test-bucket.ts";
export { createTestDatabase, type TestDatabase } from "./test-database.ts";
export { POSTGRES_URL_VARIABLE, S3_ENDPOINT_VARIABLE } from "./test-environment.ts";
