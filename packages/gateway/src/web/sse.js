// Server-sent events over fetch: EventSource cannot send an Authorization header, so the
// response body is read as a stream and split into events here.

/**
 * Calls onEvent({ event, data }) for each event of the response body, in order, until it ends.
 * `data` is parsed as JSON.
 */
export async function readEventStream(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value.replaceAll("\r\n", "\n");
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      dispatch(block, onEvent);
      end = buffer.indexOf("\n\n");
    }
  }
  if (buffer.trim()) dispatch(buffer, onEvent);
}

function dispatch(block, onEvent) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return;
  try {
    onEvent({ event, data: JSON.parse(data.join("\n")) });
  } catch {
    onEvent({ event, data: { raw: data.join("\n") } });
  }
}
