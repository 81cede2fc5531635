// The `_meta` keys of tool calls that clients and the worker agree on: the request side (what a
// client may send with `tools/call`) and the result side (what the worker writes and the agent
// and the benchmarks read).

/** `_meta` keys a client may put on a `tools/call` request. */
export const REQUEST_META_KEYS = {
  /**
   * The call's idempotency key: a string of 1 to 128 visible ASCII characters (0x21..0x7e) that the
   * client chooses, fresh for each change it means to make, and sends again unchanged when it
   * retries that change. A change is applied once per key, even across crashes and restores: the
   * same key again answers with the first call's result and applies nothing, and the same key with
   * other arguments (or another tool) is refused with invalid_arguments. A key whose call failed
   * is not kept, so a retry runs the call. Keys are kept with the scene's journal and its
   * snapshots, at least for the 2,000 most recent changes of the last 24 hours. Calls that change
   * nothing (reads, renders, exports) accept a key and are simply run again.
   */
  idempotencyKey: "bod/idempotencyKey",
} as const;

export const RESULT_META_KEYS = {
  /** A failed call's error code (one of TOOL_ERROR_CODES). */
  errorCode: "bod/errorCode",
  /** A failed call's structured details, where there is more to say. */
  errorData: "bod/errorData",
  /** The milliseconds Blender itself spent on the call; absent when the call never reached Blender. */
  blenderMs: "bod/blenderMs",
  /**
   * true when the call's idempotency key had been applied already: the result is the first call's,
   * and nothing was applied again.
   */
  repeated: "bod/repeated",
} as const;

/** The longest idempotency key, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

/** What an idempotency key may be, in words, for error messages. */
export const IDEMPOTENCY_KEY_RULE = `_meta["${REQUEST_META_KEYS.idempotencyKey}"] must be a string of 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (letters, digits and punctuation from "!" to "~", no spaces), e.g. a UUID; send a fresh one for each change and the same one again only to retry it.`;

const IDEMPOTENCY_KEY_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${MAX_IDEMPOTENCY_KEY_LENGTH}}$`);

/** Whether `value` is a valid idempotency key (see REQUEST_META_KEYS.idempotencyKey). */
export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === "string" && IDEMPOTENCY_KEY_PATTERN.test(value);
}

/** `_meta` keys the worker puts on `notifications/progress` (MCP allows `_meta` on every notification's params). */
export const PROGRESS_META_KEYS = {
  /**
   * An image of the render so far, inline: a PartialImage, at most 480 px wide. render_frame sends
   * one (a Workbench first look) before an eevee or cycles render, and a Cycles render of 16 or more
   * samples goes in passes and sends the average so far after each pass but the last; only to a
   * caller that asked for progress. A client shows the latest until the finished render replaces it.
   */
  partialImage: "bod/partialImage",
} as const;

/** An image sent with a progress notification (PROGRESS_META_KEYS.partialImage). */
export interface PartialImage {
  mimeType: "image/png";
  /** The PNG's bytes, base64. */
  data: string;
  /** Pixels. */
  width: number;
  height: number;
  /**
   * What made it: "workbench" (a first look in flat studio light before the real render) or
   * "cycles" (the samples rendered so far, averaged).
   */
  stage: string;
  /** The samples in a "cycles" image, of the render's total. */
  samples?: number;
}

/** `value` as a PartialImage, or undefined when it is not one (a client checks what a server sends). */
export function toPartialImage(value: unknown): PartialImage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const image = value as Record<string, unknown>;
  if (image.mimeType !== "image/png" || typeof image.data !== "string" || typeof image.stage !== "string") return undefined;
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height)) return undefined;
  return {
    mimeType: "image/png",
    data: image.data,
    width: image.width as number,
    height: image.height as number,
    stage: image.stage,
    ...(Number.isInteger(image.samples) ? { samples: image.samples as number } : {}),
  };
}
