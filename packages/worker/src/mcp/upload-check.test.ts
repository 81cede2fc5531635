import { ToolError } from "@bod/contracts";
import { describe, expect, it } from "vitest";
import { checkUpload } from "./upload-check.ts";

function glb(json: object): Uint8Array {
  let text = JSON.stringify(json);
  while (text.length % 4) text += " ";
  const bytes = new Uint8Array(20 + text.length);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode("glTF"), 0);
  view.setUint32(4, 2, true);
  view.setUint32(8, bytes.length, true);
  view.setUint32(12, text.length, true);
  view.setUint32(16, 0x4e4f534a, true);
  bytes.set(new TextEncoder().encode(text), 20);
  return bytes;
}

const expectRejected = (run: () => void, pattern: RegExp) => {
  expect(run).toThrow(ToolError);
  expect(run).toThrow(pattern);
};

describe("checkUpload", () => {
  it("accepts a well-formed glb and rejects a truncated one", () => {
    const good = glb({ asset: { version: "2.0" } });
    expect(() => checkUpload("glb", good)).not.toThrow();
    expectRejected(() => checkUpload("glb", good.subarray(0, good.length - 4)), /length/);
  });

  it("refuses glTF files that point at files on disk", () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ asset: { version: "2.0" }, buffers: [{ uri: "../../etc/passwd" }] }));
    expectRejected(() => checkUpload("gltf", bytes), /external file/);
  });

  it("checks OBJ text and the binary STL size", () => {
    expect(() => checkUpload("obj", new TextEncoder().encode("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"))).not.toThrow();
    expectRejected(() => checkUpload("obj", new TextEncoder().encode("hello")), /vertex/);
    const stl = new Uint8Array(84 + 50);
    new DataView(stl.buffer).setUint32(80, 1, true);
    expect(() => checkUpload("stl", stl)).not.toThrow();
    expectRejected(() => checkUpload("stl", stl.subarray(0, 100)), /triangles/);
  });

  it("rejects empty uploads and wrong signatures", () => {
    expectRejected(() => checkUpload("fbx", new Uint8Array()), /empty/);
    expectRejected(() => checkUpload("fbx", new TextEncoder().encode("not an fbx at all")), /signature/);
  });
});
