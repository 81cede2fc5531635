// The Blender side of the worker: the supervised Blender process, the bridge protocol, and the
// scene engine that keeps the scene durable across crashes and restarts.
export {
  type BlenderExit,
  type BlenderProcess,
  type BlenderProcessOptions,
  type BlenderProcessState,
  type BridgeCallOptions,
  type BridgeProgress,
  createBlenderProcess,
  type SpawnFunction,
} from "./blender-process.ts";
export * from "./bridge-protocol.ts";
export {
  createSceneEngine,
  isMutatingCommand,
  resolveJournalArgs,
  type SceneBinding,
  type SceneCallIdempotency,
  type SceneCallOptions,
  type SceneCallStarted,
  type SceneEngine,
  type SceneEngineOptions,
  type SceneEngineState,
} from "./scene-engine.ts";
export {
  type CallIdempotency,
  createSceneJournal,
  type JournalEntry,
  type JournalStorage,
  KEPT_KEYS,
  KEPT_KEYS_MAX_AGE_MS,
  type KeptKey,
  parseJournal,
  replayableEntries,
  type SceneJournal,
  type SceneJournalOptions,
} from "./scene-journal.ts";
