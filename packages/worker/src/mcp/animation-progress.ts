// render_animation's progress as MCP progress: frames written out of frames to render, with the
// current frame's samples (read from Blender's log) as the fraction between two frames. MCP asks
// progress to grow with every notification, so nothing that would go back is passed on.
import type { BridgeProgress } from "../blender/index.ts";

const SAMPLE_MESSAGE = /^sample (\d+) of (\d+)$/;

/** An MCP progress notification's content. */
export interface AnimationProgress {
  progress: number;
  total: number;
  message: string;
}

/**
 * A listener for the bridge's events during render_animation that tells `report` how far the
 * render is. The bridge's own events count frames (`progress` of `total` frames); the log's sample
 * counts ("sample 3 of 16") move it on within a frame.
 */
export function animationProgress(report: (progress: AnimationProgress) => void): (event: BridgeProgress) => void {
  let frames: number | undefined;
  let done = 0;
  let last = -1;
  const emit = (progress: number, message: string) => {
    if (frames === undefined || progress <= last) return;
    last = progress;
    report({ progress, total: frames, message });
  };
  return (event) => {
    const sample = SAMPLE_MESSAGE.exec(event.message);
    if (!sample) {
      frames = event.total;
      done = event.progress;
      emit(done, event.message);
      return;
    }
    // A frame's last sample is left to the bridge's "written" that follows it: read from another
    // pipe, that line may arrive after the frame was counted, and would then count it twice.
    if (frames === undefined || done >= frames || event.progress >= event.total) return;
    const fraction = event.progress / event.total;
    emit(Math.round((done + fraction) * 1000) / 1000, `frame ${done + 1} of ${frames}: sample ${event.progress} of ${event.total}`);
  };
}
