// The handler for looks ("make it look like sunset", "studio lighting", "night", "overcast",
// "neon"): the world, the lights and the camera set together, placed around what the scene holds.
import type { LightType } from "@bod/contracts";
import { type Handler, type PlanState, push } from "../plan-state.ts";
import { formatVec, roundVec } from "../values.ts";
import type { Vec3 } from "../world.ts";

interface LookLight {
  name: string;
  type: LightType;
  color: string;
  energy: number;
  /** Direction from the scene's center, scaled by its size. */
  direction: Vec3;
}

/** A look: what the world, the lights and the camera become. */
export interface Look {
  label: string;
  world: { color: string; strength: number };
  lights: readonly LookLight[];
  /** Direction the camera looks from, relative to the scene's center, and its lens in mm. */
  camera: { direction: Vec3; lens: number };
}

export const LOOKS: ReadonlyArray<readonly [RegExp, Look]> = [
  [
    /\b(?:sunset|sunrise|dusk|dawn|golden hour|evening)\b/,
    {
      label: "sunset",
      world: { color: "#f2895a", strength: 0.6 },
      lights: [{ name: "Sunset Sun", type: "sun", color: "#ff8a3d", energy: 3, direction: [-1, 1.5, 0.35] }],
      camera: { direction: [0.8, -1, 0.25], lens: 50 },
    },
  ],
  [
    /\b(?:night|nighttime|night-time|moonlight|moonlit|midnight)\b/,
    {
      label: "night",
      world: { color: "#0b1026", strength: 0.3 },
      lights: [{ name: "Moonlight", type: "sun", color: "#9db4ff", energy: 0.6, direction: [1, -0.5, 1.5] }],
      camera: { direction: [1, -1, 0.5], lens: 50 },
    },
  ],
  [
    /\b(?:studio|product shot|three[- ]point)\b/,
    {
      label: "studio lighting",
      world: { color: "#2a2a2a", strength: 0.4 },
      lights: [
        { name: "Key Light", type: "area", color: "#fff4e6", energy: 800, direction: [1, -1, 1] },
        { name: "Fill Light", type: "area", color: "#e6f0ff", energy: 250, direction: [-1.2, -0.8, 0.6] },
        { name: "Rim Light", type: "spot", color: "white", energy: 600, direction: [0, 1.3, 1] },
      ],
      camera: { direction: [1, -1, 0.6], lens: 50 },
    },
  ],
  [
    /\b(?:overcast|cloudy|grey day|gray day|gloomy)\b/,
    {
      label: "overcast",
      world: { color: "#b8c2cc", strength: 1 },
      lights: [{ name: "Overcast Sun", type: "sun", color: "#dde6f0", energy: 1.5, direction: [0.3, -0.3, 1] }],
      camera: { direction: [1, -1, 0.5], lens: 50 },
    },
  ],
  [
    /\b(?:neon|cyberpunk|synthwave)\b/,
    {
      label: "neon",
      world: { color: "#07020f", strength: 0.2 },
      lights: [
        { name: "Neon Pink", type: "point", color: "#ff2bd6", energy: 1500, direction: [-1.2, -0.6, 0.6] },
        { name: "Neon Cyan", type: "point", color: "#00e5ff", energy: 1500, direction: [1.2, -0.6, 0.6] },
      ],
      camera: { direction: [0.6, -1, 0.2], lens: 35 },
    },
  ],
  [
    /\b(?:daylight|daytime|sunny|midday|noon|bright day)\b/,
    {
      label: "daylight",
      world: { color: "#87ceeb", strength: 1 },
      lights: [{ name: "Daylight Sun", type: "sun", color: "#fff5e0", energy: 4, direction: [0.8, -0.6, 2] }],
      camera: { direction: [1, -1, 0.5], lens: 50 },
    },
  ],
];

/** The words a look instruction may hold besides the look's own word. */
const LOOK_WORDS = new Set(
  (
    "make turn set change give switch light use apply add create it the scene everything look looks looking like feel into to a an at in for " +
    "lighting light lights lit mood atmosphere setup set-up ambience ambiance style vibe time of day with mode please can you " +
    "i want should be is as environment"
  ).split(" "),
);

/** The look a clause asks for, when every word is about the look. */
export function readLook(text: string): Look | undefined {
  for (const [pattern, look] of LOOKS) {
    const match = pattern.exec(text);
    if (!match) continue;
    const rest = `${text.slice(0, match.index)} ${text.slice(match.index + match[0].length)}`;
    const words = rest.split(/[\s,]+/).filter(Boolean);
    if (words.every((word) => LOOK_WORDS.has(word))) return look;
  }
  return undefined;
}

export const handleLook: Handler = (clause, state) => {
  const look = readLook(clause.text);
  if (!look) return false;
  planLook(state, look);
  return true;
};

function planLook(state: PlanState, look: Look): void {
  const { world } = state;
  const { center, radius } = world.bounds();
  push(
    state,
    "set_world",
    { ...look.world },
    `Set the background to ${look.world.color} at strength ${look.world.strength} for a ${look.label} look.`,
  );
  const names: string[] = [];
  for (const light of look.lights) {
    const length = Math.hypot(...light.direction);
    const distance = Math.max(5, radius * 3);
    const location = roundVec(center.map((value, axis) => value + (light.direction[axis]! / length) * distance));
    const name = world.uniqueName(light.name);
    const args: Record<string, unknown> = { type: light.type, name, color: light.color, energy: light.energy, location };
    if (light.type !== "point") args.target = roundVec(center);
    push(state, "add_light", args, `Added ${name}, a ${light.color} ${light.type} light at ${formatVec(location)}.`);
    world.addObject({
      name,
      kind: "light",
      primitive: undefined,
      lightType: light.type,
      location,
      rotation: [0, 0, 0],
      scale: [1, 1, 1],
      dimensions: [0.2, 0.2, 0.2],
      color: undefined,
    });
    names.push(name);
  }
  const length = Math.hypot(...look.camera.direction);
  const distance = Math.max(10, radius * 4);
  const location = roundVec(center.map((value, axis) => value + (look.camera.direction[axis]! / length) * distance));
  push(
    state,
    "set_camera",
    { location, target: roundVec(center), lens: look.camera.lens },
    `Set the camera at ${formatVec(location)}, aimed at ${formatVec(center)}, with a ${look.camera.lens} mm lens.`,
  );
  world.camera = { location, lens: look.camera.lens };
  world.cameraPlanned = true;
  world.focus = names;
}
