// The gateway's own URLs for artifacts: an owner-only one (bearer token) and an expiring signed
// one. Artifacts are known by their id, never by what a URL looks like: the URLs a tool gave (the
// worker's, the runtime's, a presigned S3 URL) never leave the server; they need the runtime's
// token or expire, and the gateway's artifact route finds the bytes (or redirects) by id.
import { ARTIFACT_ID_PATTERN, isArtifactId } from "@bod/contracts";
import type { LinkSigner } from "../auth/signed-links.ts";
import type { AgentArtifact } from "../ports.ts";

export interface ArtifactView {
  id: string;
  kind: string;
  mimeType: string;
  bytes?: number;
  url: string;
  signedUrl: string;
  expiresAt: string;
  toolCallId?: string;
}

export function artifactPath(projectId: string, artifactId: string): string {
  return `/api/projects/${projectId}/artifacts/${artifactId}`;
}

/** The id of an artifact as the agent reported it; undefined when it has none (its URL is never read). */
export function artifactIdOf(artifact: { id?: unknown }): string | undefined {
  return isArtifactId(artifact.id) ? artifact.id : undefined;
}

/**
 * A link in text that names an artifact: any http(s) URL with the id as a path segment, whatever
 * its host, path or query (a presigned URL's is long). Brackets and quotes end it, and it does not
 * end with punctuation, so a Markdown link or a sentence around it stays as it was. The id segment
 * is the contracts' ARTIFACT_ID_PATTERN without its anchors.
 */
const ARTIFACT_LINK = new RegExp(
  String.raw`https?:\/\/[^\s"'<>()[\]]*?\/(${ARTIFACT_ID_PATTERN.source.slice(1, -1)})(?![\w/%-])(?:[?#][^\s"'<>()[\]]*[^\s"'<>()[\].,;:!?])?`,
  "g",
);

export interface ArtifactLinker {
  view(artifact: AgentArtifact): ArtifactView | undefined;
  /** A copy of a tool result, event or text with every artifact (objects and URLs in text) pointing at the gateway. */
  rewrite<T>(value: T): T;
}

/** `origin` is the scheme and host the caller used, e.g. `http://127.0.0.1:7800`. */
export function createArtifactLinker(projectId: string, origin: string, signer: LinkSigner): ArtifactLinker {
  const urls = (artifactId: string) => {
    const path = artifactPath(projectId, artifactId);
    const signed = signer.sign(path);
    return { url: `${origin}${path}`, signedUrl: `${origin}${path}?${signed.query}`, expiresAt: signed.expiresAt.toISOString() };
  };
  // Artifact links in replies written by the reasoner become the gateway's. An id of another
  // project leads nowhere: the store keeps artifacts by project, so the route answers 404.
  const rewriteText = (text: string) => text.replace(ARTIFACT_LINK, (_whole, id: string) => `${origin}${artifactPath(projectId, id)}`);
  const rewrite = (value: unknown): unknown => {
    if (typeof value === "string") return rewriteText(value);
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== "object" || value === null) return value;
    const entries = Object.entries(value).map(([key, inner]) => [key, rewrite(inner)] as const);
    const copy = Object.fromEntries(entries) as Record<string, unknown>;
    if (typeof copy.url === "string" && typeof copy.mimeType === "string") {
      const id = artifactIdOf(copy);
      if (id) Object.assign(copy, { id }, urls(id));
    }
    return copy;
  };
  return {
    view(artifact) {
      const id = artifactIdOf(artifact);
      if (!id) return undefined;
      return {
        id,
        kind: artifact.kind,
        mimeType: artifact.mimeType,
        ...(artifact.bytes === undefined ? {} : { bytes: artifact.bytes }),
        ...urls(id),
        ...(artifact.toolCallId === undefined ? {} : { toolCallId: artifact.toolCallId }),
      };
    },
    rewrite: <T>(value: T) => rewrite(value) as T,
  };
}
