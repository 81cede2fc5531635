// How a browser should treat a downloaded artifact: images shown in place, models and other files
// saved as `<kind>.<extension>`. The gateway sends it on its own responses and puts it in S3
// presigned URLs, so both ways of downloading behave alike.
import type { ArtifactRecord } from "./artifact-store.ts";

export function contentDispositionFor(artifact: Pick<ArtifactRecord, "id" | "kind" | "mimeType">): string {
  const extension = artifact.id.slice(artifact.id.lastIndexOf(".") + 1);
  return `${artifact.mimeType.startsWith("image/") ? "inline" : "attachment"}; filename="${artifact.kind}.${extension}"`;
}
