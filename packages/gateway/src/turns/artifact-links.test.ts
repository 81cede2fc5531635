// Artifacts are recognised by their id: objects by `id` (never their URL), links in text by the id
// in them, whatever the host, path or query (a worker's, the runtime's, a long presigned S3 URL).
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createLinkSigner } from "../auth/signed-links.ts";
import { createArtifactLinker } from "./artifact-links.ts";

const ID = "0123456789abcdef0123456789abcdef.png";
const ORIGIN = "http://127.0.0.1:7800";
const OWN = `${ORIGIN}/api/projects/p-1/artifacts/${ID}`;
const linker = createArtifactLinker("p-1", ORIGIN, createLinkSigner({ key: randomBytes(32) }));

describe("artifact linker", () => {
  it("points every link that names an artifact id at the gateway, leaving the text around it alone", () => {
    const presigned = `https://bucket.s3.eu-west-1.amazonaws.com/tenant/projects/p-1/artifacts/${ID}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20261206%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=${"ab".repeat(32)}`;
    for (const link of [
      `http://127.0.0.1:7800/projects/p-1/artifacts/${ID}`,
      `http://127.0.0.1:41234/artifacts/${ID}`,
      `http://worker.internal/artifacts/${ID}#top`,
      presigned,
    ]) {
      expect(linker.rewrite(`The render: ${link}. Next`)).toBe(`The render: ${OWN}. Next`);
      expect(linker.rewrite(`[render](${link})`)).toBe(`[render](${OWN})`);
    }
    const untouched = "See https://example.com/docs and 0123456789abcdef0123456789abcdef.png without a link.";
    expect(linker.rewrite(untouched)).toBe(untouched);
    expect(linker.rewrite(`http://h/${ID}/more`)).toBe(`http://h/${ID}/more`);
  });

  it("knows artifact objects by their id, never by their URL", () => {
    const view = linker.view({ id: ID, kind: "render", mimeType: "image/png", url: "https://elsewhere.example/anything?x=1", bytes: 10 });
    expect(view).toMatchObject({ id: ID, kind: "render", bytes: 10, url: OWN });
    expect(view?.signedUrl.startsWith(`${OWN}?exp=`)).toBe(true);
    expect(
      linker.view({ kind: "render", mimeType: "image/png", url: `http://127.0.0.1:7800/projects/p-1/artifacts/${ID}` }),
    ).toBeUndefined();
    const result = linker.rewrite({ artifact: { id: ID, kind: "export", mimeType: "model/gltf-binary", url: "s3-presigned-or-anything" } });
    expect(result.artifact).toMatchObject({ id: ID, url: OWN, signedUrl: expect.stringContaining("sig=") });
  });
});
