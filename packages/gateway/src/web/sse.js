// Server-sent events over fetch: EventSource cannot send an Authorization header, so the response
// body is read as a stream. The parsing is eventsource-parser's, the same the Node clients use,
// served by the gateway from its node_modules (plain ES modules, no build step).
import { EventSourceParserStream } from "./vendor/eventsource-parser/stream.js";

/**
 * Calls onEvent({ event, data }) for each event of the response body, in order, until it ends.
 * `data` is parsed as JSON ({ raw } when it is not JSON); an event without data is skipped.
 */
export async function readEventStream(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (!value.data) continue;
    let data;
    try {
      data = JSON.parse(value.data);
    } catch {
      data = { raw: value.data };
    }
    onEvent({ event: value.event ?? "message", data });
  }
}
