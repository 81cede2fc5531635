// The scale-out implementations of the storage ports: S3 for artifacts, scene snapshots and kept
// files, PostgreSQL for the scene journal. A separate entry (`@bod/storage/scale-out`) because
// they load the AWS SDK and pg, which processes on the embedded defaults never need.
export { createPostgresS3SceneStore, type PostgresS3SceneStoreOptions } from "./postgres-s3-scene-store.ts";
export { createS3ArtifactStore, type S3ArtifactStoreOptions, s3DownloadOrigin } from "./s3-artifact-store.ts";
export { createS3Client, type S3ClientOptions } from "./s3-client.ts";
