// The private channel between the worker (TypeScript) and the bridge running inside Blender
// (python/bod_bridge/). JSON, one message per line, over two pipes: the worker writes requests to
// the bridge's fd 3 and reads responses and events from the bridge's fd 4. Blender's own stdout
// and stderr carry only its logs.
//
// Arguments arrive validated by the tool contracts and normalised by the worker: colors are
// linear RGB triples, rotations are degrees, scale is always [x, y, z]. Results come back in the
// shapes of the contracts' output schemas.

/** Commands that implement a scene tool; their names equal the tool names. */
export const TOOL_COMMANDS = [
  "add_object",
  "update_object",
  "delete_object",
  "duplicate_object",
  "set_material",
  "add_light",
  "set_camera",
  "set_world",
  "clear_scene",
  "get_scene",
  "render_frame",
  "export_scene",
  "import_model",
  "insert_keyframe",
  "delete_keyframes",
  "set_timeline",
  "render_animation",
  "set_texture",
  "remove_texture",
  "set_world_hdri",
  "set_world_sky",
  // Loads the scene a sandboxed script saved (the code never runs in the bridge).
  "run_script",
] as const;

/**
 * Housekeeping commands the worker uses to keep the scene durable, and checks it runs ahead of a
 * change (check_texture: whether set_texture can texture its object, before an upload is stored).
 */
export const CONTROL_COMMANDS = ["ping", "reset_scene", "save_snapshot", "load_snapshot", "save_scene_copy", "check_texture"] as const;

export type BridgeCommand = (typeof TOOL_COMMANDS)[number] | (typeof CONTROL_COMMANDS)[number];

export interface BridgeRequest {
  id: number;
  command: BridgeCommand;
  args: Record<string, unknown>;
}

/** `ms`: how long Blender spent on the command, from reading it to having its answer. */
export type BridgeResponse =
  | { id: number; ok: true; result: unknown; ms?: number }
  | { id: number; ok: false; error: { code: string; message: string; data?: Record<string, unknown> }; ms?: number };

/** Unsolicited messages: `ready` once after start, `progress` while a command runs. */
export type BridgeEvent =
  | { event: "ready"; blenderVersion: string }
  | { event: "progress"; id: number; progress: number; total: number; message: string; image?: BridgeProgressImage };

/** An image of a render in progress that the bridge wrote (render_frame's first look). */
export interface BridgeProgressImage {
  /** The PNG file, in the call's scratch folder; the worker reads it once and removes it. */
  path: string;
  /** Pixels. */
  width: number;
  height: number;
  /** What made it: "workbench" (a first look) or "cycles" (the passes so far). */
  stage: string;
  /** The samples in it, for a Cycles image. */
  samples?: number;
  /** Milliseconds Blender took to make it. */
  ms: number;
}

export type BridgeMessage = BridgeResponse | BridgeEvent;
