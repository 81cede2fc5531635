// The life of a project's instance, every state and every allowed move in one place.
//
//   (none) ─▶ starting ─▶ ready ─▶ draining ─▶ stopped
//                │          │                    ▲
//                └──────────┴────── (exit) ──────┘
//
// starting: waiting for a slot, spawning or binding a pool worker, restoring the scene.
// ready:    serving requests; an idle timer runs whenever nothing is in flight.
// draining: told to stop; requests that arrive now wait for it to stop and go to the next worker.
// stopped:  no process; the next request starts a new instance (the scene is in the project folder).

export const INSTANCE_STATES = ["starting", "ready", "draining", "stopped"] as const;

export type InstanceState = (typeof INSTANCE_STATES)[number];

const TRANSITIONS: Record<InstanceState, readonly InstanceState[]> = {
  starting: ["ready", "draining", "stopped"],
  ready: ["draining", "stopped"],
  draining: ["stopped"],
  stopped: [],
};

export function canTransition(from: InstanceState, to: InstanceState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws on a move the state machine does not allow: that is a bug in the runtime, not a user error. */
export function assertTransition(from: InstanceState, to: InstanceState): void {
  if (!canTransition(from, to)) throw new Error(`Instance cannot go from ${from} to ${to}.`);
}
