// A local OpenAI-compatible chat completions server that answers from a script: tool calls
// (well-formed or malformed), text, HTTP errors, or a stream that stalls. For tests of the LLM
// path without a real model; it speaks the same wire format as OpenAI, Ollama, vLLM and llama.cpp,
// and answers POST /v1/messages in Anthropic's stream format from the same script.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type ScriptedReply =
  /** Tool calls; `arguments` as an object is sent as JSON, as a string is sent as is (malformed on purpose). */
  | { kind: "tool-calls"; text?: string; calls: Array<{ name: string; arguments: Record<string, unknown> | string; id?: string }> }
  | { kind: "text"; text: string }
  /** An HTTP error answer. */
  | { kind: "status"; status: number; body?: unknown }
  /** Sends the stream's first chunk (or nothing) and then never another byte. */
  | { kind: "stall"; afterFirstChunk?: boolean }
  /** A 200 answer whose body is not a valid completion. */
  | { kind: "garbage"; body: string };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
}

export interface ScriptedOpenAiServer {
  /** Base URL including /v1, for the provider's baseURL. */
  baseURL: string;
  requests: RecordedRequest[];
  /** Replies still to give, in order; when empty the server answers with text "(script finished)". */
  script: ScriptedReply[];
  close(): Promise<void>;
}

function chunk(response: ServerResponse, body: Record<string, unknown>): void {
  response.write(
    `data: ${JSON.stringify({ id: "chatcmpl-scripted", object: "chat.completion.chunk", created: 1, model: "scripted", ...body })}\n\n`,
  );
}

let callCounter = 0;

function nextCallId(): string {
  callCounter += 1;
  return `call_${callCounter}`;
}

function sendStream(response: ServerResponse, reply: Extract<ScriptedReply, { kind: "tool-calls" | "text" }>): void {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  chunk(response, { choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
  if (reply.text) chunk(response, { choices: [{ index: 0, delta: { content: reply.text }, finish_reason: null }] });
  if (reply.kind === "tool-calls") {
    reply.calls.forEach((call, index) => {
      const args = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
      chunk(response, {
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [{ index, id: call.id ?? nextCallId(), type: "function", function: { name: call.name, arguments: args } }],
            },
            finish_reason: null,
          },
        ],
      });
    });
  }
  chunk(response, {
    choices: [{ index: 0, delta: {}, finish_reason: reply.kind === "tool-calls" ? "tool_calls" : "stop" }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  });
  response.end("data: [DONE]\n\n");
}

function sendJson(response: ServerResponse, reply: Extract<ScriptedReply, { kind: "tool-calls" | "text" }>): void {
  const message: Record<string, unknown> = { role: "assistant", content: reply.text ?? null };
  if (reply.kind === "tool-calls") {
    message.tool_calls = reply.calls.map((call) => ({
      id: call.id ?? nextCallId(),
      type: "function",
      function: { name: call.name, arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments) },
    }));
  }
  response.writeHead(200, { "content-type": "application/json" });
  response.end(
    JSON.stringify({
      id: "chatcmpl-scripted",
      object: "chat.completion",
      created: 1,
      model: "scripted",
      choices: [{ index: 0, message, finish_reason: reply.kind === "tool-calls" ? "tool_calls" : "stop" }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    }),
  );
}

function anthropicEvent(response: ServerResponse, type: string, body: Record<string, unknown>): void {
  response.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`);
}

/** The same reply in Anthropic's Messages API stream format, for the anthropic provider. */
function sendAnthropicStream(response: ServerResponse, reply: Extract<ScriptedReply, { kind: "tool-calls" | "text" }>): void {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  anthropicEvent(response, "message_start", {
    message: {
      id: "msg_scripted",
      type: "message",
      role: "assistant",
      model: "scripted",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 1 },
    },
  });
  let index = 0;
  if (reply.text) {
    anthropicEvent(response, "content_block_start", { index, content_block: { type: "text", text: "" } });
    anthropicEvent(response, "content_block_delta", { index, delta: { type: "text_delta", text: reply.text } });
    anthropicEvent(response, "content_block_stop", { index });
    index++;
  }
  if (reply.kind === "tool-calls") {
    for (const call of reply.calls) {
      const args = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
      anthropicEvent(response, "content_block_start", {
        index,
        content_block: { type: "tool_use", id: call.id ?? `toolu_${nextCallId()}`, name: call.name, input: {} },
      });
      anthropicEvent(response, "content_block_delta", { index, delta: { type: "input_json_delta", partial_json: args } });
      anthropicEvent(response, "content_block_stop", { index });
      index++;
    }
  }
  anthropicEvent(response, "message_delta", {
    delta: { stop_reason: reply.kind === "tool-calls" ? "tool_use" : "end_turn", stop_sequence: null },
    usage: { output_tokens: 5 },
  });
  anthropicEvent(response, "message_stop", {});
  response.end();
}

/** Starts the server on 127.0.0.1 with a free port. */
export async function startScriptedOpenAiServer(script: ScriptedReply[] = []): Promise<ScriptedOpenAiServer> {
  const requests: RecordedRequest[] = [];
  const stalled = new Set<ServerResponse>();
  const state = { script };
  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("end", () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(parts).toString("utf8")) as Record<string, unknown>;
      } catch {
        // Recorded as empty; the test sees it.
      }
      requests.push({ path: request.url ?? "", headers: request.headers, body });
      const anthropic = request.url?.endsWith("/messages") === true;
      if (request.method !== "POST" || !(request.url?.endsWith("/chat/completions") || anthropic)) {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: "not found" } }));
        return;
      }
      const reply: ScriptedReply = state.script.shift() ?? { kind: "text", text: "(script finished)" };
      const streaming = body.stream === true;
      switch (reply.kind) {
        case "status":
          response.writeHead(reply.status, { "content-type": "application/json" });
          response.end(JSON.stringify(reply.body ?? { error: { message: `scripted status ${reply.status}`, type: "server_error" } }));
          return;
        case "garbage":
          response.writeHead(200, { "content-type": streaming ? "text/event-stream" : "application/json" });
          response.end(reply.body);
          return;
        case "stall":
          stalled.add(response);
          if (streaming) {
            response.writeHead(200, { "content-type": "text/event-stream" });
            if (reply.afterFirstChunk)
              chunk(response, { choices: [{ index: 0, delta: { role: "assistant", content: "Let me" }, finish_reason: null }] });
            else response.flushHeaders();
          }
          return;
        default:
          if (anthropic) sendAnthropicStream(response, reply);
          else if (streaming) sendStream(response, reply);
          else sendJson(response, reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    get script() {
      return state.script;
    },
    set script(next: ScriptedReply[]) {
      state.script = next;
    },
    async close() {
      for (const response of stalled) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
