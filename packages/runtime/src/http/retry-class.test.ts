// The proxy's rule for sending a request again after its worker died with it: reads always,
// changes only with an idempotency key.
import { describe, expect, it } from "vitest";
import { retryClassOf } from "./retry-class.ts";

const post = (message: unknown) => retryClassOf("POST", Buffer.from(JSON.stringify(message)));
const call = (name: string, meta?: Record<string, unknown>) =>
  ({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: {}, ...(meta ? { _meta: meta } : {}) } }) as const;

describe("retryClassOf", () => {
  it("retries reads: read-only tools, other methods, notifications, event streams and session ends", () => {
    expect(post(call("get_scene"))).toBe("read");
    expect(post(call("render_frame", { "bod/idempotencyKey": "k" }))).toBe("read");
    expect(post(call("export_glb"))).toBe("read");
    expect(post({ jsonrpc: "2.0", id: 1, method: "tools/list" })).toBe("read");
    expect(post({ jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: "scene://current" } })).toBe("read");
    expect(post({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} })).toBe("read");
    expect(post({ jsonrpc: "2.0", method: "notifications/initialized" })).toBe("read");
    expect(retryClassOf("GET", Buffer.alloc(0))).toBe("read");
    expect(retryClassOf("DELETE", Buffer.alloc(0))).toBe("read");
  });

  it("retries a change only when it carries a valid idempotency key", () => {
    expect(post(call("add_object", { "bod/idempotencyKey": "0f8fad5b-d9cb-469f-a165-70867728950e" }))).toBe("keyed-change");
    expect(post(call("import_model", { "bod/idempotencyKey": "k" }))).toBe("keyed-change");
    expect(post(call("add_object"))).toBe("change");
    expect(post(call("add_object", { progressToken: 1 }))).toBe("change");
    expect(post(call("add_object", { "bod/idempotencyKey": "has space" }))).toBe("change");
    expect(post(call("add_object", { "bod/idempotencyKey": 7 }))).toBe("change");
    // A tool the contracts do not know may change anything.
    expect(post(call("unknown_tool", {}))).toBe("change");
    expect(post(call("unknown_tool", { "bod/idempotencyKey": "k" }))).toBe("keyed-change");
  });

  it("takes the least safe message of a batch, and counts what is not JSON-RPC as a change", () => {
    expect(post([call("get_scene"), call("add_object", { "bod/idempotencyKey": "k" })])).toBe("keyed-change");
    expect(post([call("get_scene"), call("add_object")])).toBe("change");
    expect(retryClassOf("POST", Buffer.from("{not json"))).toBe("change");
    expect(post(null)).toBe("change");
    expect(post("text")).toBe("change");
  });
});
