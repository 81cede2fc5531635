// The capacity breaker: at most `maxInstances` instance slots, and a bounded FIFO queue of starts
// waiting for one (Knative's breaker, counted in workers instead of requests). When the queue is
// full, or a wait outlives `queueTimeoutMs`, the start fails with a CapacityError (HTTP 503 with
// Retry-After). Making room (draining an idle worker) is the activator's job: `onWait` asks for it.
import type { Clock } from "./clock.ts";
import { abortable } from "./deferred.ts";
import { CapacityError } from "./errors/capacity-error.ts";

export interface BreakerOptions {
  maxInstances: number;
  /** Starts that may wait for a slot; more fail at once. */
  maxQueue: number;
  /** Longest a start waits for a slot, milliseconds. */
  queueTimeoutMs: number;
  /** Seconds a refused caller is told to wait. */
  retryAfterSeconds: number;
  clock: Clock;
  /** Called whenever a start has to wait, so the owner can drain an idle instance to make room. */
  onWait?: () => void;
  onQueueChange?: (length: number) => void;
}

export interface Breaker {
  /** Resolves when a slot is held; the caller must `release` it exactly once. */
  acquire(signal?: AbortSignal): Promise<void>;
  release(): void;
  readonly inUse: number;
  readonly queued: number;
  readonly capacity: number;
}

export function createBreaker(options: BreakerOptions): Breaker {
  let inUse = 0;
  const queue: { grant: () => void; fail: (error: unknown) => void }[] = [];
  const changed = () => options.onQueueChange?.(queue.length);
  const refusal = (why: string) =>
    new CapacityError(`${why} Retry in ${options.retryAfterSeconds} s.`, {
      maxInstances: options.maxInstances,
      queued: queue.length,
      retryAfterSeconds: options.retryAfterSeconds,
    });

  return {
    get inUse() {
      return inUse;
    },
    get queued() {
      return queue.length;
    },
    get capacity() {
      return options.maxInstances;
    },
    acquire(signal) {
      if (inUse < options.maxInstances && queue.length === 0) {
        inUse += 1;
        return Promise.resolve();
      }
      if (queue.length >= options.maxQueue) {
        return Promise.reject(refusal(`All ${options.maxInstances} worker slots are busy and ${queue.length} starts are already waiting.`));
      }
      const waiting = new Promise<void>((resolve, reject) => {
        const entry = {
          grant: () => {
            cancelTimer();
            resolve();
          },
          fail: (error: unknown) => {
            cancelTimer();
            reject(error);
          },
        };
        const cancelTimer = options.clock.setTimeout(() => {
          remove(entry);
          reject(refusal(`No worker slot freed up within ${Math.round(options.queueTimeoutMs / 1000)} s.`));
        }, options.queueTimeoutMs);
        queue.push(entry);
        changed();
        signal?.addEventListener("abort", () => remove(entry) && entry.fail(signal.reason), { once: true });
      });
      options.onWait?.();
      return abortable(waiting, signal);
    },
    release() {
      const next = queue.shift();
      if (next) {
        changed();
        next.grant();
      } else {
        inUse = Math.max(0, inUse - 1);
      }
    },
  };

  function remove(entry: (typeof queue)[number]): boolean {
    const index = queue.indexOf(entry);
    if (index < 0) return false;
    queue.splice(index, 1);
    changed();
    return true;
  }
}
