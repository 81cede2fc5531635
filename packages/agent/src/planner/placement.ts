// Placement: where an object goes relative to another ("above the cube", "2 m left of the cone"),
// and where a new group goes when the message gives no position. Sizes and positions in meters.
import type { PlanState } from "./plan-state.ts";
import { findReferences } from "./references.ts";
import type { Box, PlannerWorld, Vec3, WorldObject } from "./world.ts";

export type Relation = "on" | "above" | "below" | "left" | "right" | "front" | "behind" | "beside" | "inside" | "around";

const RELATION_PATTERN =
  /\b(on top of|on|onto|above|over|below|under|underneath|beneath|to the left of|left of|on the left of|to the right of|right of|on the right of|in front of|behind|next to|beside|near|by|inside(?: of)?|in|into|within|around|surrounding)\s+$/;

export const RELATION_LABELS: Record<Relation, string> = {
  on: "onto",
  above: "above",
  below: "below",
  left: "to the left of",
  right: "to the right of",
  front: "in front of",
  behind: "behind",
  beside: "next to",
  inside: "inside",
  around: "around",
};

function relationOf(words: string): Relation {
  if (/^(?:inside(?: of)?|in|into|within)$/.test(words)) return "inside";
  if (/^(?:around|surrounding)$/.test(words)) return "around";
  if (/on top of|^on$|onto/.test(words)) return "on";
  if (/above|over/.test(words)) return "above";
  if (/below|under|beneath/.test(words)) return "below";
  if (/left/.test(words)) return "left";
  if (/right/.test(words)) return "right";
  if (/front/.test(words)) return "front";
  if (/behind/.test(words)) return "behind";
  return "beside";
}

/**
 * Where the center of a box of `size` goes so that it sits in `relation` to the `anchor` box, in
 * meters. "on" rests it on the anchor's top (touching); the others leave `gap` between the boxes.
 */
export function placeRelative(anchor: Box, relation: Relation, size: Vec3, gap?: number): Vec3 {
  const [x, y, z] = anchor.center;
  const half = anchor.size.map((value) => value / 2) as Vec3;
  const own = size.map((value) => value / 2) as Vec3;
  switch (relation) {
    case "inside":
    case "around":
      return [x, y, z];
    case "on":
      return [x, y, z + half[2] + own[2] + (gap ?? 0)];
    case "above":
      return [x, y, z + half[2] + own[2] + (gap ?? 0.5)];
    case "below":
      return [x, y, z - half[2] - own[2] - (gap ?? 0.5)];
    case "left":
      return [x - half[0] - own[0] - (gap ?? 1), y, z];
    case "front":
      return [x, y - half[1] - own[1] - (gap ?? 1), z];
    case "behind":
      return [x, y + half[1] + own[1] + (gap ?? 1), z];
    default:
      return [x + half[0] + own[0] + (gap ?? 1), y, z];
  }
}

/** A relation to an object in the clause ("above the cube"), with the object. */
export function readRelation(
  text: string,
  state: PlanState,
  exclude?: WorldObject[],
): { relation: Relation; anchor: WorldObject; box: Box; gap?: number; start: number; end: number } | undefined {
  for (const reference of findReferences(text, state)) {
    const before = text.slice(0, reference.index);
    const match = RELATION_PATTERN.exec(before);
    if (!match) continue;
    const anchor = reference.objects.find((object) => !exclude?.includes(object));
    if (!anchor) continue;
    const distance = /(\d+(?:\.\d+)?)\s*(?:units?|meters?|metres?|m)?\s+$/.exec(before.slice(0, match.index));
    const relation = relationOf(match[1]!);
    // "next to" takes the first free side: right, left, in front, behind.
    const box = state.world.boxOf(anchor);
    return {
      relation,
      anchor,
      box,
      ...(distance ? { gap: Number(distance[1]) } : {}),
      start: distance ? distance.index : match.index,
      end: reference.end,
    };
  }
  return undefined;
}

/** Where a new group of `count` objects of `size` goes when no position was given. */
export function defaultAnchor(world: PlannerWorld, groupWidth: number, size: Vec3): Vec3 {
  const objects = world.placementObjects();
  if (objects.length === 0) return [0, 0, 0];
  const right = Math.max(...objects.map((object) => object.location[0] + object.dimensions[0] / 2));
  const bottom = Math.min(...objects.map((object) => object.location[2] - object.dimensions[2] / 2));
  return [right + 1 + groupWidth / 2, 0, Math.max(bottom + size[2] / 2, 0)];
}

/**
 * The height things stand on where nothing is given: the top of the widest floor plane, else the
 * bottom of the lowest object, else 0.
 */
export function groundHeight(world: PlannerWorld): number {
  const floors = world
    .meshes()
    .filter((object) => (object.primitive === "plane" || object.primitive === "circle") && object.dimensions[0] >= 6);
  if (floors.length > 0) return Math.max(...floors.map((floor) => floor.location[2] + floor.dimensions[2] / 2));
  const objects = world.placementObjects();
  if (objects.length === 0) return 0;
  return Math.min(...objects.map((object) => object.location[2] - object.dimensions[2] / 2));
}

export function floorHeight(world: PlannerWorld): number {
  const objects = world.placementObjects();
  if (objects.length === 0) return -1;
  return Math.min(...objects.map((object) => object.location[2] - object.dimensions[2] / 2));
}

/**
 * Where a box of `size` goes next to `anchor` without overlapping other objects: the first free
 * side of right, left, front and behind (else the right). `ignore` lists objects that are moving.
 */
export function placeBeside(
  world: PlannerWorld,
  anchor: Box,
  size: Vec3,
  gap: number | undefined,
  ignore: readonly WorldObject[] = [],
): Vec3 {
  const others = world
    .placementObjects()
    .filter((object) => !ignore.includes(object))
    .map((object) => world.boxOf(object));
  const overlaps = (center: Vec3) =>
    others.some((other) =>
      [0, 1, 2].every((axis) => Math.abs(other.center[axis]! - center[axis]!) < (other.size[axis]! + size[axis]!) / 2 - 1e-6),
    );
  for (const side of ["right", "left", "front", "behind"] as const) {
    const center = placeRelative(anchor, side, size, gap);
    if (!overlaps(center)) return center;
  }
  return placeRelative(anchor, "right", size, gap);
}

/** Whether an object is a floor: a plane or circle at least 6 m across. */
export function isFloor(object: WorldObject): boolean {
  return (object.primitive === "plane" || object.primitive === "circle") && Math.max(object.dimensions[0], object.dimensions[1]) >= 6;
}
