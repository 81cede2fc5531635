// render_animation: Blender renders the frame range to an H.264 MP4, to PNG frames it zips, or to
// PNG frames assembled here into a GIF; the file is stored as a render artifact, like render_frame's
// PNG, within MAX_ANIMATION_BYTES. Progress counts frames; cancelling stops Blender's render (or
// the GIF between frames) and leaves nothing behind.
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ANIMATION_FILES, type AnimationFormat, type Artifact, MAX_ANIMATION_BYTES, MAX_ANIMATION_FRAMES } from "@bod/contracts";
import type { ArtifactRecord, ArtifactStore } from "@bod/storage";
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { SceneEngine } from "../blender/index.ts";
import { type AnimationProgress, animationProgress } from "./animation-progress.ts";
import { encodeGif } from "./encode-gif.ts";

/** What render_animation works with, read when the call starts (a pool worker's change when bound). */
export interface RenderAnimationContext {
  engine: SceneEngine;
  store: ArtifactStore;
  projectId: string;
  /** Where Blender writes the frames and the file; the call's own folder in it goes once it ends. */
  scratchDirectory: string;
  /** The stored record as tool results show it, with this server's download URL. */
  toArtifact(record: ArtifactRecord): Artifact;
}

export interface RenderAnimationOptions {
  signal: AbortSignal;
  onProgress: (progress: AnimationProgress) => void;
  onBlenderTime: (blenderMs: number) => void;
}

/** A GIF up to this many bytes also comes back inline as image content; larger ones only as a link. */
const INLINE_GIF_BYTES = 1024 * 1024;

/** Blender's answer: the contract's fields, and for a GIF the frames it wrote. */
type BridgeAnswer = {
  format: AnimationFormat;
  engine: string;
  width: number;
  height: number;
  frameStart: number;
  frameEnd: number;
  frames: number;
  fps: number;
  frameFiles?: string[];
} & Record<string, unknown>;

export async function renderAnimation(
  context: RenderAnimationContext,
  input: Record<string, unknown>,
  options: RenderAnimationOptions,
): Promise<{ structured: Record<string, unknown>; content: CallToolResult["content"] }> {
  const format = input.format as AnimationFormat;
  const file = ANIMATION_FILES[format];
  const folder = join(context.scratchDirectory, `animation-${randomUUID()}`);
  await mkdir(folder, { recursive: true });
  const output = join(folder, `animation.${file.extension}`);
  const framesDir = join(folder, "frames");
  try {
    const answer = (await context.engine.call(
      "render_animation",
      {
        // The bridge resolves the preset as render_frame's does: final reads the scene's own settings.
        ...input,
        maxFrames: MAX_ANIMATION_FRAMES,
        ...(format === "gif" ? { framesDir } : format === "png_sequence" ? { output, framesDir } : { output }),
      },
      { signal: options.signal, onBlenderTime: options.onBlenderTime, onProgress: animationProgress(options.onProgress) },
    )) as BridgeAnswer;
    const { frameFiles, ...result } = answer;
    const { store, projectId } = context;
    let gif: Buffer | undefined;
    if (format === "gif") {
      const bytes = await encodeGif(frameFiles ?? [], { fps: answer.fps, maxBytes: MAX_ANIMATION_BYTES, signal: options.signal });
      gif = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    const record = await store.put({
      projectId,
      kind: "render",
      extension: file.extension,
      mimeType: file.mimeType,
      body: gif ?? createReadStream(output),
      maxBytes: MAX_ANIMATION_BYTES,
    });
    const artifact = context.toArtifact(record);
    const range = answer.frames === 1 ? `frame ${answer.frameStart}` : `frames ${answer.frameStart}..${answer.frameEnd}`;
    return {
      structured: { ...result, artifact },
      content: [
        ...(gif && gif.byteLength <= INLINE_GIF_BYTES
          ? [{ type: "image" as const, data: gif.toString("base64"), mimeType: file.mimeType }]
          : []),
        { type: "resource_link", uri: artifact.url, name: `animation.${file.extension}`, mimeType: file.mimeType },
        {
          type: "text",
          text: `Rendered ${range} (${answer.frames} frames, ${answer.fps} fps) at ${answer.width}x${answer.height} with ${answer.engine} as ${format}. ${artifact.kind} ${artifact.id} (${artifact.mimeType}, ${artifact.bytes} bytes): ${artifact.url}`,
        },
      ],
    };
  } catch (error) {
    // A cancelled render answers at once, while Blender may still be finishing the frame it was
    // on and would write it into the folder after it went: remove it again once Blender is free.
    void context.engine
      .call("ping", {})
      .catch(() => {})
      .then(() => rm(folder, { recursive: true, force: true }))
      .catch(() => {});
    throw error;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
