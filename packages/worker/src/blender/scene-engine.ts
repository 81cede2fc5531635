// The scene engine: one supervised Blender plus the durability of its scene. The MCP layer calls
// `engine.call("add_object", {...})`; the engine runs the command in Blender, journals a mutating
// command (fsynced, written while Blender runs it) before acknowledging it, folds the journal into
// a snapshot every `snapshotEvery` entries and on stop, and after a crash or hang restarts Blender
// and restores the scene as of the last acknowledged call: load `scene/snapshot.blend`, replay
// `scene/journal.jsonl`.
import { randomUUID } from "node:crypto";
import { copyFile, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { findToolContract, ToolError } from "@bod/contracts";
import type { Logger } from "pino";
import { type BlenderProcess, type BridgeProgress, createBlenderProcess, type SpawnFunction } from "./blender-process.ts";
import type { BridgeCommand } from "./bridge-protocol.ts";
import { createSceneJournal, type PendingJournalEntry, type SceneJournal } from "./scene-journal.ts";

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
}

export interface SceneEngine {
  /** Starts Blender and restores the data dir's scene (if bound). Times in milliseconds. */
  start(): Promise<{ blenderReadyMs: number; sceneRestoreMs: number }>;
  /**
   * Deferred binding for pool workers: start without a data dir, then bind to a project's. The
   * running Blender takes that project's scene (snapshot and journal); anything done before is dropped.
   */
  bind?(dataDir: string): Promise<{ sceneRestoreMs: number }>;
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
  begin(
    command: BridgeCommand,
    args: Record<string, unknown>,
    options?: SceneCallOptions,
  ): Promise<{ result: unknown; saved: Promise<void> }>;
  /** Waits for the running call, saves the snapshot and ends Blender. */
  stop(): Promise<void>;
  readonly blenderPid: number | undefined;
  readonly state: SceneEngineState;
}

/**
 * `idle` (created), `starting` (first Blender coming up), `ready`, `restarting` (Blender died or was
 * stopped; a new one is restoring the scene), `stopping`, `stopped`.
 */
export type SceneEngineState = "idle" | "starting" | "ready" | "restarting" | "stopping" | "stopped";

export interface SceneEngineOptions {
  logger: Logger;
  /** Where the scene lives (`scene/snapshot.blend`, `scene/journal.jsonl`). Omit for a pool worker that binds later. */
  dataDir?: string;
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

/**
 * Commands that can run long enough to be worth stopping when cancelled. Stopping one may mean
 * stopping Blender, which then comes back with the journaled scene, so an import cut short is
 * simply not applied. Every other command takes milliseconds and finishes once sent.
 */
const LONG_COMMANDS: ReadonlySet<BridgeCommand> = new Set(["render_frame", "export_scene", "import_model"]);

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
  let journal: SceneJournal = createSceneJournal();
  let blender: BlenderProcess | undefined;
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

  function paths(directory: string) {
    const scene = join(directory, "scene");
    return { scene, snapshot: join(scene, "snapshot.blend"), journal: join(scene, "journal.jsonl"), imports: join(scene, "imports") };
  }

  async function openJournal(directory: string): Promise<SceneJournal> {
    const opened = createSceneJournal({
      path: paths(directory).journal,
      onCorruptLine: (lineNumber) => logger.warn({ lineNumber }, "skipping an unreadable journal line"),
    });
    await opened.load();
    return opened;
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
    const { readyMs } = await process.start();
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
    let snapshotSeq = 0;
    if (dataDir) {
      const snapshot = paths(dataDir).snapshot;
      if (await exists(snapshot)) {
        const loaded = (await process.call("load_snapshot", { path: snapshot }, { timeoutMs: 120_000 })) as { journalSeq?: number };
        snapshotSeq = loaded.journalSeq ?? 0;
        journal.advanceTo(snapshotSeq);
      } else if (!process.pristine) {
        await process.call("reset_scene", {}, { timeoutMs: 60_000 });
      }
    } else if (!process.pristine) {
      await process.call("reset_scene", {}, { timeoutMs: 60_000 });
    }
    let replayed = 0;
    for (const entry of journal.entries) {
      if (entry.seq <= snapshotSeq) continue;
      try {
        await process.call(entry.command, entry.args, { timeoutMs: timeoutFor(entry.command) });
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

  /** Writes the snapshot beside the old one, renames it over, then drops the journal it now holds. */
  async function saveSnapshot(): Promise<void> {
    if (!dataDir || !blender || blender.state !== "ready") return;
    const { scene, snapshot, imports } = paths(dataDir);
    await mkdir(scene, { recursive: true });
    const seq = journal.lastSeq;
    const temporary = join(scene, `snapshot.tmp-${randomUUID()}.blend`);
    const startedAt = performance.now();
    try {
      await blender.call("save_snapshot", { path: temporary, journalSeq: seq }, { timeoutMs: 120_000 });
      await fsyncPath(temporary);
      await rename(temporary, snapshot);
      await fsyncPath(scene);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    await journal.truncate(seq);
    // Imported files are inside the snapshot now; the journal no longer points at them.
    if (journal.entries.length === 0) await rm(imports, { recursive: true, force: true });
    logger.info({ seq, snapshotMs: Math.round(performance.now() - startedAt) }, "scene snapshot saved");
  }

  /** Copies an import source into the scene folder so that replay finds it even if the artifact goes. */
  async function keepImportSource(args: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!dataDir || typeof args.path !== "string") return args;
    // One folder per import, file names kept: an OBJ names its materials file in its mtllib line.
    const folder = join(paths(dataDir).imports, randomUUID());
    await mkdir(folder, { recursive: true });
    const kept = join(folder, basename(args.path));
    try {
      await copyFile(args.path, kept);
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new ToolError("artifact_not_found", "The file to import is missing.");
      throw error;
    }
    if (args.format === "obj") {
      const text = await readFile(args.path, "utf8");
      for (const match of text.matchAll(/^mtllib[ \t]+(.+?)[ \t]*\r?$/gm)) {
        // Only a file beside the OBJ, never a path that leads elsewhere.
        const name = basename(match[1] ?? "");
        await copyFile(join(dirname(args.path), name), join(folder, name)).catch(() => undefined);
      }
    }
    return { ...args, path: kept };
  }

  /**
   * Settles the entry written ahead for a call Blender has made. When it cannot be saved, Blender
   * goes back to the journaled scene, so the change is undone rather than kept unsaved.
   */
  async function commitChange(process: BlenderProcess, pending: PendingJournalEntry, args: Record<string, unknown>, result: unknown) {
    try {
      await journal.commit(pending, resolveJournalArgs(pending.entry.command, args, result));
    } catch (error) {
      logger.error({ err: error, command: pending.entry.command }, "could not journal a change; restoring the scene without it");
      await process.stop();
      throw new ToolError("internal", `The change could not be saved (${(error as Error).message}); it was undone. Try again.`);
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

  async function begin(
    command: BridgeCommand,
    args: Record<string, unknown>,
    callOptions: SceneCallOptions = {},
  ): Promise<{ result: unknown; saved: Promise<void> }> {
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
    if (signal?.aborted) throw new ToolError("cancelled", `${command} was cancelled before it started.`);
    await acquire(signal);
    let process: BlenderProcess | undefined;
    let journaling: Promise<void> | undefined;
    try {
      process = await ensureBlender();
      if (signal?.aborted) throw new ToolError("cancelled", `${command} was cancelled before it started.`);
      const bridgeArgs = command === "import_model" ? await keepImportSource(args) : args;
      // Written ahead: the entry goes to disk while Blender runs the call.
      const pending = isMutatingCommand(command) ? journal.begin(command, bridgeArgs) : undefined;
      let result: unknown;
      try {
        result = await process.call(command, bridgeArgs, {
          timeoutMs: callOptions.timeoutMs ?? timeoutFor(command),
          ...(signal && LONG_COMMANDS.has(command) ? { signal } : {}),
          ...(callOptions.onProgress ? { onProgress: callOptions.onProgress } : {}),
          ...(callOptions.onBlenderTime ? { onBlenderTime: callOptions.onBlenderTime } : {}),
        });
      } catch (error) {
        if (pending) await abandonChange(pending);
        throw error;
      }
      if (!pending) return { result, saved: Promise.resolve() };
      journaling = commitChange(process, pending, bridgeArgs, result);
      // A caller that drops `saved` has not acknowledged the call; the failure is logged.
      journaling.catch(() => undefined);
      return { result, saved: journaling };
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
        if (dataDir) journal = await openJournal(dataDir);
        const blenderReadyMs = await launch();
        // Without a data dir the new Blender's own new-project scene is the scene.
        const sceneRestoreMs = dataDir ? await restore() : 0;
        sceneRestored = true;
        state = "ready";
        return { blenderReadyMs, sceneRestoreMs };
      } catch (error) {
        state = "stopped";
        await blender?.stop();
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

  async function bind(directory: string): Promise<{ sceneRestoreMs: number }> {
    if (dataDir) throw new Error("This engine is already bound to a data dir.");
    await acquire();
    try {
      dataDir = directory;
      await journal.close();
      journal = await openJournal(directory);
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
      if (dataDir && blender?.state === "ready") {
        const snapshotMissing = !(await exists(paths(dataDir).snapshot));
        if (journal.entries.length > 0 || snapshotMissing) {
          await saveSnapshot().catch((error) => logger.error({ err: error }, "final snapshot failed; the journal keeps the changes"));
        }
      }
      await journal.close();
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
    stop,
    get blenderPid() {
      return blender?.state === "ready" ? blender.pid : undefined;
    },
    get state() {
      return state;
    },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Flushes a file or directory to disk, so a rename that follows survives a power cut. */
async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
