// The `_meta` keys of tool results, which clients read: the worker writes them, the agent and the
// benchmarks read them.

export const RESULT_META_KEYS = {
  /** A failed call's error code (one of TOOL_ERROR_CODES). */
  errorCode: "bod/errorCode",
  /** A failed call's structured details, where there is more to say. */
  errorData: "bod/errorData",
  /** The milliseconds Blender itself spent on the call; absent when the call never reached Blender. */
  blenderMs: "bod/blenderMs",
} as const;
