// Reads the gateway's turn events (server-sent events) from a fetch response body, for Node
// clients: `bod chat`, `bod bench agent` and the end-to-end tests. The parsing is eventsource-parser's
// (the parser the AI and MCP SDKs use too); the web UI loads the same parser in the browser.
import { EventSourceParserStream } from "eventsource-parser/stream";

/**
 * Calls `onEvent` for each event of the SSE body, in order, until the body ends. `data` is parsed
 * as JSON; an event without a name is "message"; an event without data is skipped.
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: string, data: Record<string, unknown>) => void,
): Promise<void> {
  // TextDecoderStream takes any BufferSource; its declared type does not pair with a Uint8Array stream.
  const decoder = new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>;
  const reader = body.pipeThrough(decoder).pipeThrough(new EventSourceParserStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (value.data) onEvent(value.event ?? "message", JSON.parse(value.data) as Record<string, unknown>);
  }
}
