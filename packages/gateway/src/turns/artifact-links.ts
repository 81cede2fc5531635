// The gateway's own URLs for artifacts: an owner-only one (bearer token) and an expiring signed
// one. The runtime's URLs never leave the server: they need the runtime's token.
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

const ARTIFACT_ID = /^[0-9a-f]{32}\.[a-z0-9]{1,8}$/;

export function artifactPath(projectId: string, artifactId: string): string {
  return `/api/projects/${projectId}/artifacts/${artifactId}`;
}

/** The artifact id of an artifact as the agent reported it (its id, or the last segment of its URL). */
export function artifactIdOf(artifact: { id?: unknown; url?: unknown }): string | undefined {
  if (typeof artifact.id === "string" && ARTIFACT_ID.test(artifact.id)) return artifact.id;
  if (typeof artifact.url !== "string") return undefined;
  const last = artifact.url.split("?")[0]!.split("/").pop() ?? "";
  return ARTIFACT_ID.test(last) ? last : undefined;
}

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
  // The runtime's artifact URLs (in replies written by the reasoner) become the gateway's.
  const runtimeUrl = /https?:\/\/[^\s"'<>]+?\/projects\/([a-z0-9-]+)\/artifacts\/([0-9a-f]{32}\.[a-z0-9]{1,8})/g;
  const rewriteText = (text: string) =>
    text.replace(runtimeUrl, (whole, owner: string, id: string) =>
      owner === projectId ? `${origin}${artifactPath(projectId, id)}` : whole,
    );
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
