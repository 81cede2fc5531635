// Reads the gateway's turn events (server-sent events) from a fetch response body, for Node
// clients: `bod chat`, `bod bench agent` and the end-to-end tests. The web UI has its own copy in
// web/sse.js because the browser loads it without a build step. No imports: cheap to load.

/**
 * Calls `onEvent` for each event of the SSE body, in order, until the body ends. `data` lines are
 * joined and parsed as JSON; an event without a name is "message".
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: string, data: Record<string, unknown>) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replaceAll("\r\n", "\n");
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? "message";
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice("data:".length).replace(/^ /, ""))
        .join("\n");
      if (data) onEvent(event, JSON.parse(data) as Record<string, unknown>);
    }
  }
}
