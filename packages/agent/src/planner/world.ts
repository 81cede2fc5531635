// The planner's model of the scene while it plans: the objects it was shown (or last saw) plus the
// ones its own plan adds, moves or deletes, so later instructions in a message can refer to them.
import { LIGHT_TYPES, type LightType, OBJECT_TYPES, type ObjectType, parseColorToSrgb } from "@bod/contracts";
import type { Scene } from "../scene.ts";
import { BASE_NAMES, DEFAULT_DIMENSIONS, OBJECT_NOUNS } from "./lexicon.ts";

export type Vec3 = [number, number, number];

export interface WorldObject {
  name: string;
  /** A group is an Empty that parents other objects (create_group): a composite such as a table. */
  kind: "object" | "light" | "group";
  primitive: ObjectType | undefined;
  lightType: LightType | undefined;
  location: Vec3;
  rotation: Vec3;
  scale: Vec3;
  dimensions: Vec3;
  /** sRGB 0..1, when known. */
  color: Vec3 | undefined;
  /** Creation order: higher is newer. */
  order: number;
  /** Added by the plan being made (not from a scene). */
  planned: boolean;
  /** The group or object it moves with, if any. */
  parent?: string | undefined;
  /** The objects parented to it (a group's members). */
  children?: string[] | undefined;
}

/** An axis-aligned box in the world: its center and size along x, y, z, in meters. */
export interface Box {
  center: Vec3;
  size: Vec3;
}

export interface WorldCamera {
  location: Vec3 | undefined;
  lens: number | undefined;
}

/** Thrown while planning when an instruction refers to objects the planner has not been shown yet. */
export class SceneNeeded extends Error {
  constructor() {
    super("The instruction refers to the scene; get_scene first.");
    this.name = "SceneNeeded";
  }
}

/** Thrown while planning when an instruction cannot be read or cannot apply to this scene. */
export class PlanRefusal extends Error {
  /** The reply should list what the planner can do (the instruction was not understood at all). */
  readonly listCapabilities: boolean;

  constructor(message: string, listCapabilities = false) {
    super(message);
    this.name = "PlanRefusal";
    this.listCapabilities = listCapabilities;
  }
}

function vec3(values: readonly number[] | undefined, fallback: number): Vec3 {
  return [values?.[0] ?? fallback, values?.[1] ?? fallback, values?.[2] ?? fallback];
}

const NOUN_TYPES = new Map<string, ObjectType>(OBJECT_NOUNS);
for (const [type, base] of Object.entries(BASE_NAMES)) NOUN_TYPES.set(base.toLowerCase(), type as ObjectType);

/** The add_object type of a scene object: its recorded primitive, else guessed from its name or Blender type. */
export function inferPrimitive(object: { name: string; type?: string; primitive?: string | undefined }): ObjectType | undefined {
  if (object.primitive && (OBJECT_TYPES as readonly string[]).includes(object.primitive)) return object.primitive as ObjectType;
  if (object.type === "FONT") return "text";
  const base = object.name
    .toLowerCase()
    .replace(/(?:\.\d+|[\s_-]*\d+)$/, "")
    .trim();
  return NOUN_TYPES.get(base);
}

export class PlannerWorld {
  /** True when the objects came from get_scene this turn, so a missing object really is missing. */
  readonly authoritative: boolean;
  objects: WorldObject[] = [];
  camera: WorldCamera | undefined;
  /** The plan has set the camera itself. */
  cameraPlanned = false;
  /** The frame range and rate; `planned` once the plan has set them. */
  timeline: { frameStart: number; frameEnd: number; fps: number; planned: boolean } = {
    frameStart: 1,
    frameEnd: 250,
    fps: 24,
    planned: false,
  };
  /** Objects the last instruction touched: what "it" and "them" mean. */
  focus: string[];
  private nextOrder = 0;

  constructor(scene: Scene | undefined, authoritative: boolean, focus: readonly string[]) {
    this.authoritative = authoritative;
    this.focus = [...focus];
    if (!scene) return;
    for (const object of scene.objects) {
      this.objects.push({
        name: object.name,
        kind: object.type === "EMPTY" ? "group" : "object",
        primitive: object.type === "EMPTY" ? undefined : inferPrimitive(object),
        lightType: undefined,
        parent: object.parent ?? undefined,
        children: object.children,
        // A child's own location is where it was when parented; where it is now is worldLocation.
        location: vec3(object.worldLocation ?? object.location, 0),
        rotation: vec3(object.rotation, 0),
        scale: vec3(object.scale, 1),
        dimensions: vec3(object.dimensions, 0),
        color: object.material ? (parseColorToSrgb(object.material.baseColor) as Vec3 | undefined) : undefined,
        order: this.nextOrder++,
        planned: false,
      });
    }
    for (const light of scene.lights) {
      this.objects.push({
        name: light.name,
        kind: "light",
        primitive: undefined,
        lightType: (LIGHT_TYPES as readonly string[]).includes(light.type) ? light.type : "point",
        location: vec3(light.location, 0),
        rotation: vec3(light.rotation, 0),
        scale: [1, 1, 1],
        dimensions: [0.2, 0.2, 0.2],
        color: parseColorToSrgb(light.color) as Vec3 | undefined,
        order: this.nextOrder++,
        planned: false,
      });
    }
    if (scene.timeline)
      this.timeline = { frameStart: scene.timeline.frameStart, frameEnd: scene.timeline.frameEnd, fps: scene.timeline.fps, planned: false };
    if (scene.camera) this.camera = { location: vec3(scene.camera.location, 0), lens: scene.camera.lens };
    if (this.focus.length > 0) this.focus = this.focus.filter((name) => this.find(name));
  }

  find(name: string): WorldObject | undefined {
    const lower = name.toLowerCase();
    return this.objects.find((object) => object.name.toLowerCase() === lower);
  }

  /** A name not used by any known object: the base, else Blender's style `Base.001`, `Base.002`, ... */
  uniqueName(base: string): string {
    if (!this.find(base)) return base;
    for (let index = 1; ; index++) {
      const candidate = `${base}.${String(index).padStart(3, "0")}`;
      if (!this.find(candidate)) return candidate;
    }
  }

  addObject(entry: Omit<WorldObject, "order" | "planned">): WorldObject {
    const object = { ...entry, order: this.nextOrder++, planned: true };
    this.objects.push(object);
    return object;
  }

  remove(name: string): void {
    const object = this.find(name);
    // Deleting a group deletes its members.
    const members = object?.kind === "group" ? this.members(object).map((member) => member.name) : [];
    this.objects = this.objects.filter((entry) => entry.name !== name && !members.includes(entry.name) && entry.parent !== name);
    this.focus = this.focus.filter((entry) => entry !== name);
  }

  /** The box around an object: a group's is the box around its members. */
  boxOf(object: WorldObject): Box {
    const members = object.kind === "group" ? this.members(object) : [];
    if (members.length === 0) return { center: [...object.location], size: [...object.dimensions] };
    const min: Vec3 = [Infinity, Infinity, Infinity];
    const max: Vec3 = [-Infinity, -Infinity, -Infinity];
    for (const member of members) {
      for (let axis = 0; axis < 3; axis++) {
        min[axis] = Math.min(min[axis]!, member.location[axis]! - member.dimensions[axis]! / 2);
        max[axis] = Math.max(max[axis]!, member.location[axis]! + member.dimensions[axis]! / 2);
      }
    }
    return {
      center: min.map((value, axis) => (value + max[axis]!) / 2) as Vec3,
      size: min.map((value, axis) => max[axis]! - value) as Vec3,
    };
  }

  /** The objects in a group, its members' members included (not the groups themselves). */
  members(group: WorldObject): WorldObject[] {
    const found: WorldObject[] = [];
    const visit = (parent: WorldObject, depth: number) => {
      if (depth > 32) return;
      for (const child of this.objects.filter((object) => object.parent === parent.name || parent.children?.includes(object.name))) {
        if (found.includes(child)) continue;
        if (child.kind === "group") visit(child, depth + 1);
        else found.push(child);
      }
    };
    visit(group, 0);
    return found;
  }

  /** Moves an object in the planner's view; a group's members move with it. */
  moveBy(object: WorldObject, offset: Vec3): void {
    object.location = object.location.map((value, axis) => value + offset[axis]!) as Vec3;
    if (object.kind !== "group") return;
    for (const member of this.members(object)) member.location = member.location.map((value, axis) => value + offset[axis]!) as Vec3;
    for (const child of this.objects.filter((entry) => entry.kind === "group" && entry.parent === object.name))
      child.location = child.location.map((value, axis) => value + offset[axis]!) as Vec3;
  }

  meshes(): WorldObject[] {
    return this.objects.filter((object) => object.kind === "object");
  }

  /** Objects that count when placing new things beside the others (not floors). */
  placementObjects(): WorldObject[] {
    return this.meshes().filter((object) => !(object.primitive === "plane" || object.primitive === "circle") || object.dimensions[0] < 6);
  }

  /** Center and radius of everything, for aiming the camera. */
  bounds(): { center: Vec3; radius: number } {
    const objects = this.placementObjects();
    if (objects.length === 0) return { center: [0, 0, 0], radius: 1.5 };
    const min: Vec3 = [Infinity, Infinity, Infinity];
    const max: Vec3 = [-Infinity, -Infinity, -Infinity];
    for (const object of objects) {
      for (let axis = 0; axis < 3; axis++) {
        const half = (object.dimensions[axis] ?? 0) / 2;
        min[axis] = Math.min(min[axis]!, object.location[axis]! - half);
        max[axis] = Math.max(max[axis]!, object.location[axis]! + half);
      }
    }
    const center: Vec3 = [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2];
    const radius = Math.max(1, Math.hypot(max[0] - min[0], max[1] - min[1], max[2] - min[2]) / 2);
    return { center, radius };
  }
}

/** Size of a primitive at a scale, in meters. */
export function dimensionsOf(type: ObjectType, scale: Vec3): Vec3 {
  const base = DEFAULT_DIMENSIONS[type];
  return [base[0] * scale[0], base[1] * scale[1], base[2] * scale[2]];
}

/** Euclidean distance between two sRGB colors, 0..√3. */
export function colorDistance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}
