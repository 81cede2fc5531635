// A scripted WorkerLauncher for unit tests: workers that follow the control protocol on a manual
// clock (listening + ready after `startMs`, bound after `bindMs`, drained and gone after `drainMs`)
// without starting any process. Tests can also make one hang, crash or refuse to bind.
import type { Clock } from "../clock.ts";
import type { LaunchedWorker, LaunchOptions, RuntimeToWorker, WorkerLauncher, WorkerToRuntime } from "../worker-launcher.ts";

export interface FakeWorkerScript {
  startMs: number;
  bindMs: number;
  drainMs: number;
  /** Never says ready. */
  hang?: boolean;
  /** Ignores drain (to exercise SIGTERM / SIGKILL). */
  ignoreDrain?: boolean;
  /** Answers bind with bind-failed. */
  refuseBind?: boolean;
}

export interface FakeWorker extends LaunchedWorker {
  readonly options: LaunchOptions;
  readonly received: RuntimeToWorker[];
  readonly signals: NodeJS.Signals[];
  alive: boolean;
  /** Ends the process as a crash would. */
  crash(reason?: string): void;
}

export function createFakeLauncher(clock: Clock, script: Partial<FakeWorkerScript> = {}) {
  const workers: FakeWorker[] = [];
  let nextPid = 1000;
  const defaults: FakeWorkerScript = { startMs: 1500, bindMs: 50, drainMs: 100, ...script };

  const launcher: WorkerLauncher & { workers: FakeWorker[]; script: FakeWorkerScript } = {
    isolation: "none",
    workers,
    script: defaults,
    launch(options) {
      const plan = { ...defaults };
      const pid = nextPid++;
      const messageListeners: ((message: WorkerToRuntime) => void)[] = [];
      const exitListeners: ((reason: string) => void)[] = [];
      let listening = false;
      const emit = (message: WorkerToRuntime) => {
        if (!worker.alive) return;
        if (message.type === "listening") listening = true;
        for (const listener of messageListeners) listener(message);
      };
      const exit = (reason: string) => {
        if (!worker.alive) return;
        worker.alive = false;
        for (const listener of exitListeners) listener(reason);
      };
      const worker: FakeWorker = {
        options,
        received: [],
        signals: [],
        alive: true,
        pid,
        bindPath: `${options.instanceDir}/project`,
        endpoint: () => (listening ? { host: "127.0.0.1", port: pid } : undefined),
        send(message) {
          if (!worker.alive) throw new Error("the worker's control channel is closed");
          worker.received.push(message);
          if (message.type === "bind")
            clock.setTimeout(
              () =>
                emit(
                  plan.refuseBind
                    ? { type: "bind-failed", message: "snapshot unreadable" }
                    : { type: "bound", dataDir: message.dataDir, sceneRestoreMs: plan.bindMs },
                ),
              plan.bindMs,
            );
          if (message.type === "drain" && !plan.ignoreDrain)
            clock.setTimeout(() => {
              emit({ type: "drained", savedMs: plan.drainMs });
              exit("exit code 0");
            }, plan.drainMs);
        },
        onMessage: (listener) => messageListeners.push(listener),
        onExit: (listener) => exitListeners.push(listener),
        kill(signal) {
          worker.signals.push(signal);
          if (signal === "SIGKILL" || (signal === "SIGTERM" && !plan.ignoreDrain)) exit(`signal ${signal}`);
        },
        stderrTail: () => (plan.hang ? "waiting for Blender..." : ""),
        crash: (reason = "signal SIGKILL") => exit(reason),
      };
      workers.push(worker);
      if (!plan.hang)
        clock.setTimeout(() => {
          emit({ type: "listening", port: pid, pid });
          emit({
            type: "ready",
            bound: !options.deferBind,
            phases: { listenMs: 100, blenderReadyMs: plan.startMs - 200, sceneRestoreMs: options.deferBind ? 0 : 100 },
            blenderPid: pid + 1,
          });
        }, plan.startMs);
      return worker;
    },
  };
  return launcher;
}
