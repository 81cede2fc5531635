// Keeps a call's progress notifications strictly rising, as MCP requires of notifications/progress
// ("the progress value MUST increase with each notification"). Blender repeats values: a render
// reports 0 as it starts after the worker's own first 0, and a partial image can come at the same
// sample count as the progress line before it.

/** How far above the last value a repeated one goes out. */
export const PROGRESS_STEP = 0.001;

/**
 * Wraps `send` so each value it passes on is greater than the one before: a value at or below the
 * last goes out PROGRESS_STEP above it, and is dropped when that would pass `total` (the call is
 * done by then; what it says is in the answer).
 */
export function risingProgress<P extends { progress: number; total?: number }>(send: (progress: P) => void): (progress: P) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (progress) => {
    let value = progress.progress;
    if (value <= last) {
      value = last + PROGRESS_STEP;
      if (progress.total !== undefined && value > progress.total) return;
    }
    last = value;
    send(value === progress.progress ? progress : { ...progress, progress: value });
  };
}
