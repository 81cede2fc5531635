// One factory builds the MCP server for every transport and protocol era: Streamable HTTP
// (2026-07-28 and the stateless 2025 fallback), legacy HTTP+SSE, and stdio.
import {
  type JSONRPCMessage,
  type JSONRPCResultResponse,
  type McpRequestContext,
  McpServer,
  type RequestId,
  type Transport,
  type TransportSendOptions,
} from "@modelcontextprotocol/server";
import { registerSceneResources } from "./scene-resources.ts";
import { registerSceneTools, type SceneToolDependencies, type ToolCallHooks, toolErrorResult } from "./scene-tools.ts";

export const SERVER_INFO = { name: "blender-on-demand", title: "Blender on demand", version: "0.1.0" } as const;

/**
 * The server's identity in `initialize` (and in each result's _meta on 2026-07-28): SERVER_INFO,
 * with a description naming the Blender that runs the scene once it is known ("4.5.3"). MCP's
 * `version` is the server's own, so Blender's goes in the description.
 */
export function sceneServerInfo(blenderVersion: string | undefined): {
  name: string;
  title: string;
  version: string;
  description?: string;
} {
  return blenderVersion ? { ...SERVER_INFO, description: `Scene tools for headless Blender ${blenderVersion}.` } : SERVER_INFO;
}

const INSTRUCTIONS =
  "Scene tools for a headless Blender. Blender is Z-up, units are meters, rotations are degrees. " +
  "Call get_scene to see object names before editing. render_frame returns a PNG; export_scene returns a downloadable file.";

export function createSceneServer(deps: SceneToolDependencies, hooks?: ToolCallHooks): McpServer {
  const server = new McpServer(sceneServerInfo(deps.engine.blenderVersion), {
    capabilities: { tools: {}, resources: {}, logging: {} },
    instructions: INSTRUCTIONS,
  });
  registerSceneTools(server, deps, hooks);
  registerSceneResources(server, deps);
  return server;
}

/** Servers kept for reuse; more are built when more requests than this run at once. */
const MAX_IDLE_SERVERS = 8;

/**
 * Makes `transport` send the answer to a request in `held` only once the call's change is saved,
 * and as the tool's failure when it could not be (the engine has undone the change then). A
 * change is thus never acknowledged before it is on disk, while the SDK validates and encodes
 * the answer during the write rather than after it.
 */
function answerOnceSaved(transport: Transport, held: Map<RequestId, Promise<void>>): void {
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage, options?: TransportSendOptions) => {
    const id = "id" in message && ("result" in message || "error" in message) ? message.id : undefined;
    const saved = id === undefined ? undefined : held.get(id);
    if (id === undefined || !saved) return send(message, options);
    held.delete(id);
    try {
      await saved;
    } catch (error) {
      if ("result" in message) return send(asToolFailure(message, error), options);
    }
    return send(message, options);
  };
}

/**
 * Runs the transport's close handling without capturing stack traces. The SDK closes a
 * Streamable HTTP exchange after every answer, and its close makes a "connection closed" error
 * for whatever is still pending (nothing, on a normal exchange) whose stack capture is a good
 * part of a small call's cost. Call after the server connected to the transport (it sets
 * onclose then).
 */
function closeWithoutStackTraces(transport: Transport): void {
  const onclose = transport.onclose;
  transport.onclose = () => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      onclose?.();
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
}

/** The encoded answer `answer` as the tool error result for `error`, with the same envelope. */
function asToolFailure(answer: JSONRPCResultResponse, error: unknown): JSONRPCResultResponse {
  const { content: _content, structuredContent: _structured, isError: _isError, _meta, ...envelope } = answer.result;
  const failure = toolErrorResult(error);
  return { ...answer, result: { ...envelope, ...failure, _meta: { ..._meta, ...failure._meta } } };
}

/**
 * The factory for the Streamable HTTP handler, which asks for a server per request. Building one
 * registers every tool and resource, a good part of a small call's cost, so a server that has
 * served a 2026-07-28 request is kept and handed out again. It goes back only once its exchange
 * is closed and none of its tool calls still runs (a call whose client went away may still be
 * waiting for Blender), so a server never serves two requests at once. The entry sets the
 * protocol revision and client identity of each modern exchange on the server it is given.
 * 2025-era requests (the stateless fallback, one `initialize` each) get a fresh server, since
 * the handshake leaves per-client state on it.
 *
 * These servers answer a call while its change is still being journaled (see answerOnceSaved).
 */
export function createSceneServerPool(deps: SceneToolDependencies): (context: McpRequestContext) => McpServer {
  interface Kept {
    server: McpServer;
    /** The Blender version its identity names: one built before Blender was up names none. */
    blenderVersion: string | undefined;
    /** serving: handed out, exchange open; settling: exchange closed, a tool call still runs. */
    state: "serving" | "settling" | "idle";
    runningCalls: number;
  }
  const idle: Kept[] = [];

  function giveBack(kept: Kept) {
    if (kept.state !== "settling" || kept.runningCalls > 0) return;
    kept.state = "idle";
    if (idle.length < MAX_IDLE_SERVERS) idle.push(kept);
  }

  function build(): Kept {
    // Answers held until their change is saved, by request id, for the current exchange.
    const held = new Map<RequestId, Promise<void>>();
    const server = createSceneServer(deps, {
      started: () => {
        kept.runningCalls += 1;
      },
      finished: () => {
        kept.runningCalls -= 1;
        giveBack(kept);
      },
      holdAnswer: (id, saved) => {
        held.set(id, saved);
      },
    });
    const kept: Kept = { server, blenderVersion: deps.engine.blenderVersion, state: "serving", runningCalls: 0 };
    // The entry connects each exchange's transport. What an earlier exchange held (a call whose
    // client went away) must not hold this one's answers: request ids repeat across clients.
    const connect = server.connect.bind(server);
    server.connect = (transport) => {
      held.clear();
      answerOnceSaved(transport, held);
      const connected = connect(transport);
      closeWithoutStackTraces(transport);
      return connected;
    };
    // The entry chains its own close handling in front of this one for each exchange.
    server.server.onclose = () => {
      if (kept.state === "serving") kept.state = "settling";
      giveBack(kept);
    };
    return kept;
  }

  return (context) => {
    if (context.era !== "modern") return createSceneServer(deps);
    let kept = idle.pop();
    if (kept && kept.blenderVersion !== deps.engine.blenderVersion) {
      // Built while Blender started (the warm-up's servers), they name no version: all go once it is known.
      idle.length = 0;
      kept = undefined;
    }
    kept ??= build();
    kept.state = "serving";
    return kept.server;
  };
}
