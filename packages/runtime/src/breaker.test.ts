// Unit tests of the capacity breaker on a manual clock: slots, FIFO queue, refusal, timeout, abort.
import { describe, expect, it } from "vitest";
import { createBreaker } from "./breaker.ts";
import { createManualClock } from "./clock.ts";
import { CapacityError } from "./errors/capacity-error.ts";

function setup(maxInstances = 1, maxQueue = 2) {
  const clock = createManualClock();
  let waits = 0;
  const lengths: number[] = [];
  const breaker = createBreaker({
    maxInstances,
    maxQueue,
    queueTimeoutMs: 1000,
    retryAfterSeconds: 2,
    clock,
    onWait: () => waits++,
    onQueueChange: (length) => lengths.push(length),
  });
  return { clock, breaker, waits: () => waits, lengths };
}

describe("breaker", () => {
  it("grants free slots at once and queues the rest in order", async () => {
    const { breaker, waits, lengths } = setup(1, 2);
    await breaker.acquire();
    const order: string[] = [];
    const first = breaker.acquire().then(() => order.push("first"));
    const second = breaker.acquire().then(() => order.push("second"));
    expect(breaker.queued).toBe(2);
    expect(waits()).toBe(2);
    breaker.release();
    await first;
    breaker.release();
    await second;
    expect(order).toEqual(["first", "second"]);
    expect(breaker.inUse).toBe(1);
    expect(lengths).toEqual([1, 2, 1, 0]);
  });

  it("refuses with Retry-After when the queue is full", async () => {
    const { breaker } = setup(1, 1);
    await breaker.acquire();
    void breaker.acquire();
    const refused = breaker.acquire();
    await expect(refused).rejects.toBeInstanceOf(CapacityError);
    await expect(refused).rejects.toMatchObject({ code: "capacity_exhausted", retryAfterSeconds: 2 });
  });

  it("gives up on a wait after the queue timeout", async () => {
    const { breaker, clock } = setup(1, 4);
    await breaker.acquire();
    const waiting = breaker.acquire();
    await clock.advance(1000);
    await expect(waiting).rejects.toMatchObject({ code: "capacity_exhausted" });
    expect(breaker.queued).toBe(0);
  });

  it("leaves the queue when the waiter aborts", async () => {
    const { breaker } = setup(1, 4);
    await breaker.acquire();
    const controller = new AbortController();
    const waiting = breaker.acquire(controller.signal);
    controller.abort(new Error("client gone"));
    await expect(waiting).rejects.toThrow("client gone");
    expect(breaker.queued).toBe(0);
    breaker.release();
    expect(breaker.inUse).toBe(0);
  });
});
