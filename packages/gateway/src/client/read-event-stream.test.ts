import { describe, expect, it } from "vitest";
import { readEventStream } from "./read-event-stream.ts";

function bodyOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe("readEventStream", () => {
  it("splits events across chunk boundaries, joins data lines and skips comments", async () => {
    const events: [string, unknown][] = [];
    await readEventStream(
      bodyOf('event: plan\ndata: {"steps":', "2}\n\n: keep-alive\n\n", 'data: {"a":\r\ndata: 1}\r\n\r\n'),
      (event, data) => events.push([event, data]),
    );
    expect(events).toEqual([
      ["plan", { steps: 2 }],
      ["message", { a: 1 }],
    ]);
  });

  it("reads ids and bare-CR line ends, skips events without data, and drops an event the body cuts off", async () => {
    const events: [string, unknown][] = [];
    await readEventStream(
      bodyOf('id: 7\revent: done\rdata: {"ok":true}\r\r', "event: ping\n\n", 'event: step\ndata: {"n":', "1}"),
      (event, data) => events.push([event, data]),
    );
    expect(events).toEqual([["done", { ok: true }]]);
  });
});
