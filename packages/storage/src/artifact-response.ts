// An artifact as an HTTP response, for every server that hands out artifact bytes (the worker,
// the runtime, the gateway): 200 with the whole body, 206 for a satisfiable `Range: bytes=…`, 416
// for one past the end. Only single ranges are honoured; a multi-range or malformed header gets
// the whole artifact, as RFC 9110 allows.
import { Readable } from "node:stream";
import type { ArtifactRecord, ArtifactStore, ByteRange } from "./artifact-store.ts";
import { ArtifactRangeNotSatisfiableError } from "./errors/artifact-range-not-satisfiable-error.ts";

export interface ArtifactResponseOptions {
  /** The request's Range header, if any. */
  range?: string | null | undefined;
  /** HEAD: the same status and headers, without the body. */
  method?: string;
  /** Headers to add for this artifact (cache policy, CORS, Content-Disposition). */
  headers?: (artifact: ArtifactRecord) => Record<string, string>;
}

/** What a Range header asks for: the bytes from `start` (to `end`), the last `suffix` bytes, or nothing usable. */
export type RangeRequest = { start: number; end?: number } | { suffix: number } | undefined;

/** Parses `bytes=a-b`, `bytes=a-` or `bytes=-n`; anything else (several ranges, other units) is undefined. */
export function parseRangeHeader(header: string | null | undefined): RangeRequest {
  const match = header ? /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    return Number.isSafeInteger(suffix) && suffix > 0 ? { suffix } : undefined;
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start)) return undefined;
  if (last === "") return { start };
  const end = Number(last);
  return Number.isSafeInteger(end) && end >= start ? { start, end } : undefined;
}

/** The artifact as a Response, or undefined when the store has no such artifact. */
export async function artifactResponse(
  store: Pick<ArtifactStore, "head" | "get">,
  projectId: string,
  id: string,
  options: ArtifactResponseOptions = {},
): Promise<Response | undefined> {
  const wanted = parseRangeHeader(options.range);
  let range: ByteRange | undefined;
  if (wanted && "suffix" in wanted) {
    // The last n bytes: the size decides where they start.
    const artifact = await store.head(projectId, id);
    if (!artifact) return undefined;
    if (artifact.bytes === 0) return notSatisfiable(artifact.bytes);
    range = { start: Math.max(0, artifact.bytes - wanted.suffix) };
  } else {
    range = wanted;
  }
  let content: Awaited<ReturnType<ArtifactStore["get"]>>;
  try {
    content = await store.get(projectId, id, range ? { range } : {});
  } catch (error) {
    if (error instanceof ArtifactRangeNotSatisfiableError) return notSatisfiable(error.bytes);
    throw error;
  }
  if (!content) return undefined;
  const { artifact } = content;
  const headers: Record<string, string> = {
    "content-type": artifact.mimeType,
    "accept-ranges": "bytes",
    ...options.headers?.(artifact),
  };
  let status = 200;
  if (content.range) {
    status = 206;
    headers["content-range"] = `bytes ${content.range.start}-${content.range.end}/${artifact.bytes}`;
    headers["content-length"] = String(content.range.end - content.range.start + 1);
  } else {
    headers["content-length"] = String(artifact.bytes);
  }
  if (options.method === "HEAD") {
    content.body.destroy();
    return new Response(null, { status, headers });
  }
  return new Response(Readable.toWeb(content.body) as ReadableStream, { status, headers });
}

function notSatisfiable(bytes: number): Response {
  return new Response(null, { status: 416, headers: { "content-range": `bytes */${bytes}`, "accept-ranges": "bytes" } });
}
