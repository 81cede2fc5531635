// Test support for storage ports (`@bod/storage/testing`): the contract suites every
// implementation of a port runs unchanged. Imports vitest, so only tests load it.
export { type ArtifactStoreFixture, describeArtifactStoreContract } from "./artifact-store-contract.ts";
export { describeSceneStoreContract, type SceneStoreFixture } from "./scene-store-contract.ts";
