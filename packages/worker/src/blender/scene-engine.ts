// The scene engine: one supervised Blender plus the durability of its scene. The MCP layer calls
// `engine.call("add_object", {...})`; the engine runs the command in Blender, journals a mutating
// command in the project's SceneStore (written while Blender runs it) before acknowledging it,
// folds the journal into a snapshot every `snapshotEvery` entries and on stop, and after a crash or
// hang restarts Blender and restores the scene as of the last acknowledged call: load the snapshot,
// replay the journal. The store is files under the data dir unless another is given (PostgreSQL
// and S3); either way Blender reads and writes local files, in a folder of the engine's own.
import { randomUUID } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { findToolContract, ToolError } from "@bod/contracts";
import { createFileSceneStore, type ProjectScene, type SceneStore, SceneStoreUnavailableError, SceneSupersededError } from "@bod/storage";
import type { Logger } from "pino";
import { type BlenderProcess, type BridgeProgress, createBlenderProcess, type SpawnFunction } from "./blender-process.ts";
import type { BridgeCommand } from "./bridge-protocol.ts";
import {
  type CallIdempotency,
  createSceneJournal,
  type JournalEntry,
  type KeptKey,
  type PendingJournalEntry,
  type SceneJournal,
} from "./scene-journal.ts";

export interface SceneCallOptions {
  /**
   * Cancels the call: a waiting call never runs; a running render, export or import is stopped
   * (an import stopped midway is not applied). Quick commands already in Blender run to the end.
   */
  signal?: AbortSignal;
  /** Time budget in milliseconds once the call reaches Blender. Default: the tool contract's timeoutMs. */
  timeoutMs?: number;
  onProgress?: (progress: BridgeProgress) => void;
  /** Told how long Blender itself spent on the call (milliseconds), once it has answered. */
  onBlenderTime?: (blenderMs: number) => void;
  /**
   * The call's idempotency key, for a mutating command: a key whose change is in the scene already
   * answers with that change's result and runs nothing; the same key with another request fails
   * with invalid_arguments. A keyed change whose Blender dies mid-call runs once more on the
   * restarted Blender (its first attempt is voided first). Ignored for commands that change nothing.
   */
  idempotency?: SceneCallIdempotency;
  /**
   * Runs in the call's turn, just before the command: no other call runs between the two, so the
   * scene it sees is the one the command changes. It may run commands that change nothing
   * (`blender.call`), and returns the arguments to send and, where they differ, those to journal
   * (what a replay needs, without what only this run had). run_script saves the scene and runs the
   * script on it here.
   */
  prepare?: (blender: SceneCallPreparation) => Promise<{ args: Record<string, unknown>; journalArgs?: Record<string, unknown> }>;
}

/** What a call's `prepare` may do with Blender: run commands that change nothing. */
export interface SceneCallPreparation {
  call(command: BridgeCommand, args: Record<string, unknown>, options?: { timeoutMs?: number }): Promise<unknown>;
}

/** A call's idempotency key and request digest, and what to keep as its result. */
export interface SceneCallIdempotency extends CallIdempotency {
  /** The result to keep with the key, from Blender's answer. Default: the answer itself. */
  result?: (answer: unknown) => unknown;
}

/** What `begin` hands back: Blender's answer, or the kept result of a repeated key. */
export interface SceneCallStarted {
  result: unknown;
  /** Settles once the change is journaled (at once for reads and repeats); see SceneEngine.begin. */
  saved: Promise<void>;
  /** True when the call's key had been applied already: `result` is the first call's, and nothing ran. */
  repeated?: boolean;
}

export interface SceneEngine {
  /** Starts Blender and restores the project's scene (if bound). Times in milliseconds. */
  start(): Promise<{ blenderReadyMs: number; sceneRestoreMs: number }>;
  /**
   * Deferred binding for pool workers: start without a project, then bind to one. The running
   * Blender takes that project's scene (snapshot and journal); anything done before is dropped.
   */
  bind?(binding: SceneBinding): Promise<{ sceneRestoreMs: number }>;
  /**
   * Runs one command (calls are served one at a time, in order). Mutating commands resolve only
   * once journaled. Rejects with a ToolError.
   */
  call(command: BridgeCommand, args: Record<string, unknown>, options?: SceneCallOptions): Promise<unknown>;
  /**
   * Runs one command like `call`, but resolves as soon as Blender has answered. `saved` settles
   * once a mutating command's change is journaled (at once for others), or rejects with the error
   * `call` would have failed with. Meanwhile the caller may prepare its answer, but it must not
   * acknowledge the call before `saved` resolves. The next call waits for `saved` either way.
   */
  begin(command: BridgeCommand, args: Record<string, unknown>, options?: SceneCallOptions): Promise<SceneCallStarted>;
  /**
   * The kept result of a change made with this key, without waiting for the running call (a hint:
   * `begin` checks again in order). Throws invalid_arguments when the key was used for another request.
   */
  recall(idempotency: CallIdempotency): { result: unknown } | undefined;
  /** Waits for the running call, saves the snapshot and ends Blender. */
  stop(): Promise<void>;
  readonly blenderPid: number | undefined;
  /** The running Blender's version ("4.5.3"), as its bridge reported it; undefined until the first start. */
  readonly blenderVersion: string | undefined;
  readonly state: SceneEngineState;
}

/**
 * `idle` (created), `starting` (first Blender coming up), `ready`, `restarting` (Blender died or was
 * stopped; a new one is restoring the scene), `stopping`, `stopped`.
 */
export type SceneEngineState = "idle" | "starting" | "ready" | "restarting" | "stopping" | "stopped";

/** The project a pool engine is given. */
export interface SceneBinding {
  /** The key of the project's scene in the store. */
  projectId: string;
  /** The project's folder: the files store's home, and where Blender's local files go. */
  dataDir?: string;
}

export interface SceneEngineOptions {
  logger: Logger;
  /**
   * The project's folder. With the default store the scene lives in it (`scene/snapshot.blend`,
   * `scene/journal.jsonl`, `scene/imports/`); with another store it holds only Blender's local
   * copies (`tmp/scene/`). Omit, with `projectId`, for a pool worker that binds later.
   */
  dataDir?: string;
  /**
   * Where the scene is kept: the latest snapshot, the journal since it, import sources. Default:
   * files under `dataDir`. The engine closes the project scenes it opens, not the store.
   */
  sceneStore?: SceneStore;
  /** The project whose scene this is, the key in `sceneStore`. Default "local". The engine is bound when it has this or `dataDir`. */
  projectId?: string;
  /**
   * Told when another process deletes the project while this engine has its scene open (shared
   * stores): the engine then refuses calls, and its worker should end without saving.
   */
  onProjectDeleted?: () => void;
  /** Default "blender". */
  blenderPath?: string;
  /** Default this package's python/bridge.py. */
  bridgeScriptPath?: string;
  spawn?: SpawnFunction;
  /** Variables added to Blender's environment. */
  env?: Record<string, string | undefined>;
  /** Snapshot after this many journal entries. Default 50. */
  snapshotEvery?: number;
  /** Default 60 000 ms. */
  readyTimeoutMs?: number;
  /** After SIGTERM, wait this long before SIGKILL. Default 2 000 ms. */
  forceKillAfterMs?: number;
  /** How long a cancelled render may take to stop before Blender is killed. Default 1 500 ms. */
  cancelGraceMs?: number;
}

/** Commands that change the scene and so are journaled: the tools marked mutatesScene, and reset_scene. */
export function isMutatingCommand(command: BridgeCommand): boolean {
  if (command === "reset_scene") return true;
  return findToolContract(command)?.mutatesScene ?? false;
}

/**
 * The arguments to journal for a call: what replay needs to give the same result. Names Blender
 * chose (a new object's "Cube.001") are written in, so replay cannot pick differently. Returns
 * `args` itself when Blender left them as they were (the usual case: nothing to rewrite).
 */
export function resolveJournalArgs(command: BridgeCommand, args: Record<string, unknown>, result: unknown): Record<string, unknown> {
  const record = (result ?? {}) as { object?: { name?: string }; light?: { name?: string } };
  const chosen = (key: string, name: string | undefined) => (name && args[key] !== name ? { ...args, [key]: name } : args);
  if (command === "add_object") return chosen("name", record.object?.name);
  if (command === "duplicate_object") return chosen("newName", record.object?.name);
  if (command === "add_light") return chosen("name", record.light?.name);
  return args;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Failures that mean Blender ended before it could run the call, or while it ran it: nothing of it stays. */
const BLENDER_ENDED: ReadonlySet<string> = new Set(["blender_crashed", "blender_unavailable"]);

/**
 * Commands that can run long enough to be worth stopping when cancelled. Stopping one may mean
 * stopping Blender, which then comes back with the journaled scene, so an import cut short is
 * simply not applied. Every other command takes milliseconds and finishes once sent.
 */
const LONG_COMMANDS: ReadonlySet<BridgeCommand> = new Set(["render_frame", "render_animation", "export_scene", "import_model"]);

interface Waiter {
  wake: () => void;
  fail: (error: unknown) => void;
}

/** Creates the engine; nothing runs until `start()`. */
export function createSceneEngine(options: SceneEngineOptions): SceneEngine {
  const logger = options.logger;
  const snapshotEvery = options.snapshotEvery ?? 50;
  let state: SceneEngineState = "idle";
  let dataDir = options.dataDir;
  let projectId = options.projectId;
  const bound = dataDir !== undefined || projectId !== undefined;
  // The project's scene in its store (undefined until bound), and the store the engine made for it.
  let scene: ProjectScene | undefined;
  // Set when another process deleted the project: nothing is served or saved after that.
  let projectDeleted = false;
  let ownStore: SceneStore | undefined;
  // The engine's folder of local files for Blender: snapshots, and import sources for replay.
  let localDir: string | undefined;
  // Whether the store holds a snapshot, and the local copy of it (what a restarted Blender loads
  // without asking the store, so a store that is down does not keep Blender down).
  let storedSnapshot = false;
  let localSnapshot: string | undefined;
  let journal: SceneJournal = createSceneJournal();
  let blender: BlenderProcess | undefined;
  let blenderVersion: string | undefined;
  let restarting: Promise<void> | undefined;
  let starting: Promise<unknown> | undefined;
  // Whether the current Blender holds the restored scene; a Blender whose restore failed is never used.
  let sceneRestored = false;

  // One call at a time: the journal's order is the order calls ran in Blender.
  let busy = false;
  const waiters: Waiter[] = [];

  async function acquire(signal?: AbortSignal): Promise<void> {
    if (!busy) {
      busy = true;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        fail: reject,
      };
      const onAbort = () => {
        const index = waiters.indexOf(waiter);
        if (index !== -1) waiters.splice(index, 1);
        reject(new ToolError("cancelled", "The call was cancelled while it waited for Blender."));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  function release() {
    const next = waiters.shift();
    if (next) next.wake();
    else busy = false;
  }

  /** A fresh local folder for Blender's files; whatever an engine that did not stop cleanly left goes. */
  async function prepareLocalDir(): Promise<string> {
    localDir ??= dataDir ? join(dataDir, "tmp", "scene") : await mkdtemp(join(tmpdir(), "bod-scene-"));
    await rm(localDir, { recursive: true, force: true });
    await mkdir(localDir, { recursive: true });
    return localDir;
  }

  /** Opens the project's scene in its store, reads the journal, and fetches the snapshot to a local file. */
  async function openScene(): Promise<void> {
    let store = options.sceneStore;
    if (!store) {
      const directory = dataDir;
      if (!directory) throw new Error("The scene engine needs a data dir or a scene store.");
      store = ownStore = createFileSceneStore({
        projectDirectory: () => directory,
        onCorruptLine: (_, lineNumber) => logger.warn({ lineNumber }, "skipping an unreadable journal line"),
      });
    }
    const opened = await store.open(projectId ?? "local", {
      onDeleted: () => {
        logger.warn({ projectId }, "the project was deleted elsewhere; this engine serves it no more");
        projectDeleted = true;
        options.onProjectDeleted?.();
      },
    });
    try {
      const loaded = createSceneJournal({ storage: opened });
      await loaded.load();
      const snapshot = join(await prepareLocalDir(), `snapshot-${randomUUID()}.blend`);
      storedSnapshot = await opened.readSnapshot(snapshot);
      localSnapshot = storedSnapshot ? snapshot : undefined;
      scene = opened;
      journal = loaded;
    } catch (error) {
      await opened.close();
      throw error;
    }
  }

  /**
   * Opens the scene again after another worker opened it (a scale-out store's newest opener owns a
   * scene): this worker becomes the owner again, with the journal and snapshot as the other left them.
   */
  async function reopenScene(): Promise<void> {
    logger.warn({ projectId }, "another worker opened this project's scene; opening it again");
    await journal.close().catch(() => undefined);
    await scene?.close();
    scene = undefined;
    await openScene();
  }

  /** Lets go of the project's scene and the engine's local files. */
  async function closeScene(): Promise<void> {
    await journal.close();
    await scene?.close();
    await ownStore?.close();
    if (localDir) await rm(localDir, { recursive: true, force: true });
  }

  /** The local copy of the latest snapshot, fetched again if it went; undefined when there is none. */
  async function currentSnapshot(): Promise<string | undefined> {
    if (!scene || !localDir || !storedSnapshot) return undefined;
    if (localSnapshot && (await exists(localSnapshot))) return localSnapshot;
    const snapshot = join(localDir, `snapshot-${randomUUID()}.blend`);
    storedSnapshot = await scene.readSnapshot(snapshot);
    localSnapshot = storedSnapshot ? snapshot : undefined;
    return localSnapshot;
  }

  async function launch(): Promise<number> {
    const process = createBlenderProcess({
      logger,
      ...(options.blenderPath ? { blenderPath: options.blenderPath } : {}),
      ...(options.bridgeScriptPath ? { bridgeScriptPath: options.bridgeScriptPath } : {}),
      ...(options.spawn ? { spawn: options.spawn } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
      ...(options.forceKillAfterMs !== undefined ? { forceKillAfterMs: options.forceKillAfterMs } : {}),
      ...(options.cancelGraceMs !== undefined ? { cancelGraceMs: options.cancelGraceMs } : {}),
    });
    blender = process;
    sceneRestored = false;
    const { readyMs, blenderVersion: version } = await process.start();
    blenderVersion = version;
    void process.exited.then((exit) => {
      // Blender died on its own (or was stopped by a timeout or cancel): bring the scene back now.
      if (blender === process && (state === "ready" || state === "restarting")) {
        logger.warn({ ...exit }, "Blender ended; restarting it and restoring the scene");
        scheduleRestart();
      }
    });
    return readyMs;
  }

  function scheduleRestart() {
    if (restarting || state === "stopping" || state === "stopped") return;
    state = "restarting";
    restarting = (async () => {
      const startedAt = performance.now();
      try {
        await launch();
        await restore();
        if (state === "restarting") state = "ready";
        logger.info(
          { restartMs: Math.round(performance.now() - startedAt), pid: blender?.pid },
          "Blender restarted and the scene restored",
        );
      } catch (error) {
        // A Blender that could not take the scene back must not serve calls.
        await blender?.stop();
        throw error;
      } finally {
        restarting = undefined;
      }
    })();
    // Failures surface to the next call, which tries again.
    restarting.catch((error) => logger.error({ err: error }, "Blender restart failed"));
  }

  /** Makes sure a live Blender holds the scene; restarts it when the last one died. */
  async function ensureBlender(): Promise<BlenderProcess> {
    if (starting) await starting;
    if (restarting) {
      try {
        await restarting;
      } catch {
        // Tried again below.
      }
    }
    if (blender?.state !== "ready" || !sceneRestored) {
      scheduleRestart();
      try {
        await restarting;
      } catch (error) {
        throw ToolError.is(error) && error.code === "blender_unavailable"
          ? error
          : new ToolError("blender_unavailable", `Blender could not be restarted: ${(error as Error).message}`);
      }
    }
    if (blender?.state !== "ready" || !sceneRestored) throw new ToolError("blender_unavailable", "Blender is not running; try again.");
    if (projectDeleted) throw new ToolError("blender_unavailable", "This project was deleted; its scene is gone.");
    if (scene?.superseded) {
      // Another worker changed the scene since: this Blender's copy is stale. Reload it, taking the
      // scene back; should that fail, the next call restarts Blender and tries again.
      sceneRestored = false;
      try {
        await restore();
      } catch (error) {
        throw saveFailure(
          error,
          `The scene could not be reloaded after another worker changed it (${(error as Error).message}). Try again.`,
        );
      }
    }
    return blender;
  }

  function timeoutFor(command: BridgeCommand): number {
    return findToolContract(command)?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Loads the snapshot (if any) and replays the journal entries it does not hold. */
  async function restore(): Promise<number> {
    const startedAt = performance.now();
    const process = blender;
    if (!process) throw new Error("restore() without Blender");
    if (scene?.superseded) await reopenScene();
    let snapshotSeq = 0;
    const snapshot = await currentSnapshot();
    if (snapshot) {
      const loaded = (await process.call("load_snapshot", { path: snapshot }, { timeoutMs: 120_000 })) as {
        journalSeq?: number;
        keys?: string;
      };
      snapshotSeq = loaded.journalSeq ?? 0;
      journal.advanceTo(snapshotSeq);
      journal.adoptKeys(parseKeptKeys(loaded.keys));
    } else if (!process.pristine) {
      await process.call("reset_scene", {}, { timeoutMs: 60_000 });
    }
    let replayed = 0;
    for (const entry of journal.entries) {
      // Held by the snapshot already (it was written, and the journal not yet truncated).
      if (entry.seq <= snapshotSeq) continue;
      try {
        const answer = await process.call(entry.command, await replayArgs(entry), { timeoutMs: timeoutFor(entry.command) });
        // A keyed entry whose result line never landed (the worker died first) gets Blender's answer.
        journal.rememberReplayed(entry, answer);
        replayed += 1;
      } catch (error) {
        if (ToolError.is(error) && !["blender_crashed", "timeout", "blender_unavailable"].includes(error.code)) {
          logger.warn({ seq: entry.seq, command: entry.command, err: error }, "a journal entry failed to replay; skipping it");
        } else {
          throw error;
        }
      }
    }
    if (blender === process) sceneRestored = true;
    const restoreMs = performance.now() - startedAt;
    logger.info({ snapshotSeq, replayed, restoreMs: Math.round(restoreMs) }, "scene restored");
    return restoreMs;
  }

  /**
   * Has Blender write the snapshot to a local file, stores it, then drops the journal lines it holds,
   * in that order: a crash between the two leaves lines that replay skips (their numbers are at or
   * below the snapshot's), so nothing is lost and nothing runs twice.
   */
  async function saveSnapshot(): Promise<void> {
    if (!scene || !localDir || !blender || blender.state !== "ready") return;
    const seq = journal.lastSeq;
    const snapshot = join(localDir, `snapshot-${randomUUID()}.blend`);
    const startedAt = performance.now();
    try {
      // The keys of the entries the snapshot folds in go into it, so they outlive those entries.
      const keys = JSON.stringify(journal.keysToKeep(seq));
      await blender.call("save_snapshot", { path: snapshot, journalSeq: seq, keys }, { timeoutMs: 120_000 });
      await scene.writeSnapshot(snapshot);
    } catch (error) {
      await rm(snapshot, { force: true });
      throw error;
    }
    const previous = localSnapshot;
    storedSnapshot = true;
    localSnapshot = snapshot;
    if (previous) await rm(previous, { force: true });
    await journal.truncate(seq);
    // Kept files are inside the snapshot now (imported geometry, packed images); the journal no longer points at them.
    if (journal.entries.length === 0) {
      await scene.deleteFiles();
      await rm(join(localDir, "imports"), { recursive: true, force: true });
    }
    logger.info({ seq, snapshotMs: Math.round(performance.now() - startedAt) }, "scene snapshot saved");
  }

  /** Where replay finds a kept source file locally: `<local dir>/imports/<name>`. */
  function localImportPath(name: string): string {
    return join(localDir as string, "imports", ...name.split("/"));
  }

  /**
   * Keeps the file a change reads (its `path` argument: an import's model, a texture's image) in
   * the store, and a local copy for replays in this worker, one folder per call with the file names
   * kept: an OBJ names its materials file in its mtllib line. Returns the arguments to journal,
   * which name the kept file (`sceneFile`) instead of the caller's path.
   */
  async function keepSourceFile(command: BridgeCommand, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!scene || !localDir || typeof args.path !== "string") return args;
    const source = args.path;
    const folder = randomUUID();
    const files = [`${folder}/${basename(source)}`];
    try {
      await copyFile(source, await localTarget(localImportPath(files[0] as string)));
      if (command === "import_model" && args.format === "obj") {
        for (const material of mtllibNames(await readFile(source, "utf8"))) {
          // Only a file beside the OBJ, never a path that leads elsewhere; a missing one is the OBJ's own problem.
          const name = `${folder}/${material}`;
          const copied = await copyFile(join(dirname(source), material), await localTarget(localImportPath(name))).then(
            () => true,
            () => false,
          );
          if (copied) files.push(name);
        }
      }
    } catch (error) {
      await rm(join(localDir, "imports", folder), { recursive: true, force: true });
      if ((error as NodeJS.ErrnoException).code === "ENOENT")
        throw new ToolError(
          "artifact_not_found",
          command === "import_model" ? "The file to import is missing." : "The file to use is missing.",
        );
      throw error;
    }
    try {
      for (const name of files) await scene.putFile(name, localImportPath(name));
    } catch (error) {
      logger.error({ err: error, command }, "could not keep a change's source file in the scene store");
      throw saveFailure(
        error,
        `The ${command === "import_model" ? "file to import" : "file"} could not be saved with the scene (${(error as Error).message}); nothing was changed. Try again.`,
      );
    }
    const { path: _, ...rest } = args;
    return { ...rest, sceneFile: files[0] };
  }

  /**
   * The arguments replay sends Blender for an entry: a kept source file becomes a local file again
   * (fetched from the store unless this worker has it). Imports journaled before sources were kept
   * by name hold the absolute path of `.../scene/imports/<folder>/<file>`: the same file.
   */
  async function replayArgs(entry: JournalEntry): Promise<Record<string, unknown>> {
    if (!scene || !localDir || (typeof entry.args.sceneFile !== "string" && entry.command !== "import_model")) return entry.args;
    const { sceneFile, ...args } = entry.args;
    const name =
      typeof sceneFile === "string" ? sceneFile : typeof args.path === "string" ? LEGACY_IMPORT_PATH.exec(args.path)?.[1] : undefined;
    if (!name || !IMPORT_NAME.test(name)) return entry.args;
    const local = localImportPath(name);
    if (!(await exists(local))) {
      // A source the store lacks stays missing: the import fails, and replay skips it with a warning.
      if (!(await scene.getFile(name, local))) return { ...args, path: local };
      if (entry.command === "import_model" && args.format === "obj") {
        for (const material of mtllibNames(await readFile(local, "utf8"))) {
          const materialName = `${dirname(name)}/${material}`;
          if (IMPORT_NAME.test(materialName)) await scene.getFile(materialName, localImportPath(materialName));
        }
      }
    }
    return { ...args, path: local };
  }

  /**
   * Settles the entry written ahead for a call Blender has made. When it cannot be saved, Blender
   * goes back to the journaled scene, so the change is undone rather than kept unsaved.
   */
  async function commitChange(
    process: BlenderProcess,
    pending: PendingJournalEntry,
    args: Record<string, unknown>,
    result: unknown,
    kept: unknown,
  ) {
    try {
      await journal.commit(pending, resolveJournalArgs(pending.entry.command, args, result), kept);
    } catch (error) {
      logger.error({ err: error, command: pending.entry.command }, "could not journal a change; restoring the scene without it");
      await process.stop();
      throw saveFailure(error, `The change could not be saved (${(error as Error).message}); it was undone. Try again.`);
    }
  }

  /** Voids the entry of a call that failed; the failure is reported only once no replay can run it. */
  async function abandonChange(pending: PendingJournalEntry) {
    try {
      await journal.abandon(pending);
    } catch (error) {
      // The entry stays on disk; a replay runs the call again, and it fails the same way, or is skipped.
      logger.error({ err: error, seq: pending.entry.seq }, "could not mark a failed call's journal entry void");
    }
  }

  /** The kept change of `idempotency.key`, if any; invalid_arguments when the key was used for another request. */
  function recallKey(idempotency: CallIdempotency): KeptKey | undefined {
    const kept = journal.recall(idempotency.key);
    if (kept && kept.request !== idempotency.request)
      throw new ToolError(
        "invalid_arguments",
        `The idempotency key ${JSON.stringify(idempotency.key)} was already used for another call (a ${journal.entries.find((entry) => entry.seq === kept.seq)?.command ?? "change"} with other arguments, at ${kept.at}); a key applies once, to the call it was first sent with. Send a new key for a new change, and the same key only to retry the same call.`,
        { field: "_meta.bod/idempotencyKey" },
      );
    return kept;
  }

  async function begin(
    command: BridgeCommand,
    args: Record<string, unknown>,
    callOptions: SceneCallOptions = {},
  ): Promise<SceneCallStarted> {
    if (command === "load_snapshot") {
      throw new ToolError("invalid_arguments", "load_snapshot is managed by the engine; restart the engine to restore a snapshot.");
    }
    if (state === "idle" || state === "stopping" || state === "stopped") {
      throw new ToolError(
        "blender_unavailable",
        state === "idle" ? "The scene engine has not been started." : "The scene engine is stopping.",
      );
    }
    const { signal } = callOptions;
    const mutating = isMutatingCommand(command);
    const idempotency = mutating ? callOptions.idempotency : undefined;
    if (signal?.aborted) throw new ToolError("cancelled", `${command} was cancelled before it started.`);
    await acquire(signal);
    let process: BlenderProcess | undefined;
    let journaling: Promise<void> | undefined;
    try {
      process = await ensureBlender();
      if (signal?.aborted) throw new ToolError("cancelled", `${command} was cancelled before it started.`);
      // Checked in call order, after the restore: the key of a change just journaled, replayed or
      // held by the snapshot is known here.
      const earlier = idempotency ? recallKey(idempotency) : undefined;
      if (earlier) return { result: earlier.result, saved: Promise.resolve(), repeated: true };
      let callArgs = args;
      let journalBase = args;
      if (callOptions.prepare) {
        const blender = process;
        const prepared = await callOptions.prepare({
          call: (preparing, preparingArgs, preparingOptions) => {
            if (isMutatingCommand(preparing)) throw new Error(`prepare may only run commands that change nothing, not ${preparing}`);
            return blender.call(preparing, preparingArgs, { timeoutMs: preparingOptions?.timeoutMs ?? timeoutFor(preparing) });
          },
        });
        callArgs = prepared.args;
        journalBase = prepared.journalArgs ?? prepared.args;
      }
      // A change that reads a file keeps it with the scene, so replay has it wherever it runs.
      const journalArgs = mutating && typeof journalBase.path === "string" ? await keepSourceFile(command, journalBase) : journalBase;
      for (let attempt = 1; ; attempt++) {
        // Written ahead: the entry is stored while Blender runs the call.
        const pending = mutating ? journal.begin(command, journalArgs, idempotency) : undefined;
        let result: unknown;
        try {
          result = await process.call(command, callArgs, {
            timeoutMs: callOptions.timeoutMs ?? timeoutFor(command),
            ...(signal && LONG_COMMANDS.has(command) ? { signal } : {}),
            ...(callOptions.onProgress ? { onProgress: callOptions.onProgress } : {}),
            ...(callOptions.onBlenderTime ? { onBlenderTime: callOptions.onBlenderTime } : {}),
          });
        } catch (error) {
          if (pending) await abandonChange(pending);
          if (idempotency && attempt === 1 && ToolError.is(error) && BLENDER_ENDED.has(error.code) && !signal?.aborted) {
            // Blender ended under a keyed change: its entry is voided (or owed a void, written ahead
            // of the next line), so running it again on the restarted Blender applies it once.
            logger.warn({ command, err: error }, "Blender ended during a keyed change; running it again on the restarted Blender");
            process = await ensureBlender();
            continue;
          }
          throw error;
        }
        if (!pending) return { result, saved: Promise.resolve() };
        const kept = idempotency ? (idempotency.result ?? ((answer: unknown) => answer))(result) : undefined;
        journaling = commitChange(process, pending, journalArgs, result, kept);
        // A caller that drops `saved` has not acknowledged the call; the failure is logged.
        journaling.catch(() => undefined);
        return { result, saved: journaling };
      }
    } finally {
      // Before the next call runs: the change is journaled (the journal's order is the order calls
      // ran in), a cancelled render that answered at once has stopped in Blender, and a due
      // snapshot is taken.
      const blenderUsed = process;
      const journaled = journaling?.then(
        () => true,
        () => false,
      );
      const settle = async () => {
        const snapshotDue = (await journaled) === true && journal.entries.length >= snapshotEvery;
        if (blenderUsed) await blenderUsed.whenIdle();
        if (snapshotDue)
          await saveSnapshot().catch((error) => logger.error({ err: error }, "snapshot failed; the journal keeps the changes"));
      };
      void settle().finally(release);
    }
  }

  async function call(command: BridgeCommand, args: Record<string, unknown>, callOptions: SceneCallOptions = {}): Promise<unknown> {
    const { result, saved } = await begin(command, args, callOptions);
    await saved;
    return result;
  }

  async function start(): Promise<{ blenderReadyMs: number; sceneRestoreMs: number }> {
    if (state !== "idle") throw new Error(`start() called in state ${state}`);
    state = "starting";
    const run = (async () => {
      try {
        // The store is read (journal, snapshot) while Blender boots.
        const [opened, launched] = await Promise.allSettled([bound ? openScene() : undefined, launch()]);
        if (opened.status === "rejected") throw opened.reason;
        if (launched.status === "rejected") throw launched.reason;
        const blenderReadyMs = launched.value;
        // Unbound, the new Blender's own new-project scene is the scene.
        const sceneRestoreMs = scene ? await restore() : 0;
        sceneRestored = true;
        state = "ready";
        return { blenderReadyMs, sceneRestoreMs };
      } catch (error) {
        state = "stopped";
        await blender?.stop();
        await closeScene().catch(() => undefined);
        throw error;
      }
    })();
    starting = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      starting = undefined;
    }
  }

  async function bind(binding: SceneBinding): Promise<{ sceneRestoreMs: number }> {
    if (bound || scene) throw new Error("This engine is already bound to a project.");
    await acquire();
    try {
      projectId = binding.projectId;
      if (binding.dataDir) dataDir = binding.dataDir;
      await journal.close();
      await openScene();
      await ensureBlender();
      const sceneRestoreMs = await restore();
      return { sceneRestoreMs };
    } finally {
      release();
    }
  }

  async function stop(): Promise<void> {
    if (state === "stopped" || state === "stopping") return;
    await acquire();
    state = "stopping";
    try {
      if (restarting) await restarting.catch(() => undefined);
      // A superseded scene belongs to another worker now: this one's copy may be stale, so it is not saved.
      if (scene && !scene.superseded && !projectDeleted && blender?.state === "ready" && (journal.entries.length > 0 || !storedSnapshot)) {
        await saveSnapshot().catch((error) => logger.error({ err: error }, "final snapshot failed; the journal keeps the changes"));
      }
      await closeScene().catch((error) => logger.error({ err: error }, "could not close the scene store"));
      await blender?.stop();
    } finally {
      state = "stopped";
      release();
      for (const waiter of waiters.splice(0)) waiter.fail(new ToolError("blender_unavailable", "The scene engine stopped."));
    }
  }

  return {
    start,
    bind,
    call,
    begin,
    recall(idempotency) {
      const kept = recallKey(idempotency);
      return kept ? { result: kept.result } : undefined;
    },
    stop,
    get blenderPid() {
      return blender?.state === "ready" ? blender.pid : undefined;
    },
    get blenderVersion() {
      return blenderVersion;
    },
    get state() {
      return state;
    },
  };
}

/** The tool error for a change the scene store did not take: a store that is down or slow says so in its code. */
function saveFailure(error: unknown, message: string): ToolError {
  if (SceneSupersededError.is(error))
    return new ToolError(
      "storage_unavailable",
      "Another worker opened this project meanwhile; the change was not saved, and the scene is being reloaded with the other's changes. Try again.",
      { store: "scene", reason: "superseded" },
    );
  if (SceneStoreUnavailableError.is(error))
    return new ToolError("storage_unavailable", message, { store: "scene", backend: error.backend, operation: error.operation });
  return new ToolError("internal", message);
}

/** The keys a snapshot kept (`load_snapshot`'s `keys`, JSON text); none when absent or unreadable. */
function parseKeptKeys(text: unknown): unknown {
  if (typeof text !== "string" || text === "") return [];
  try {
    return JSON.parse(text);
  } catch {
    return [];
  }
}

/** A kept import's name: its folder (a UUID) and the file's own name, never a path that leads elsewhere. */
const IMPORT_NAME = /^[0-9a-f-]{36}\/(?!\.\.?$)[^/\\\0]+$/;
/** Where sources were kept before the store kept them by name: an absolute path into the scene folder. */
const LEGACY_IMPORT_PATH = /\/scene\/imports\/([0-9a-f-]{36}\/[^/]+)$/;

/** The materials files an OBJ names (`mtllib NAME`), as names of files beside it. */
function mtllibNames(text: string): string[] {
  return [...text.matchAll(/^mtllib[ \t]+(.+?)[ \t]*\r?$/gm)]
    .map((match) => basename(match[1] ?? ""))
    .filter((name) => name !== "" && name !== "." && name !== "..");
}

/** Makes the folder of `path`; returns `path`. */
async function localTarget(path: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  return path;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
