/** The FIFOs through which a Blender started ahead of its worker talks to it: `<channel>-<name>`. */
export const BRIDGE_CHANNEL_FIFOS = ["requests", "responses", "stdout", "stderr"] as const;
