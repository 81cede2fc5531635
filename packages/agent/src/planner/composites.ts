// Composite objects (a table, a snowman, a house, ...) as lists of primitive parts: pure functions
// from a few options to parts with world-aligned sizes, in meters, relative to the composite's
// origin (the middle of its footprint, on the ground). The composite handler turns the parts into
// add_object calls and groups them under one name.
import type { ObjectType } from "@bod/contracts";
import type { MaterialWords } from "./lexicon.ts";
import type { Vec3 } from "./world.ts";

/** The axis a cylinder or cone runs along; "-y" points a cone's tip towards the front (the camera). */
export type PartAxis = "z" | "x" | "y" | "-y";

/** One primitive of a composite. Sizes and positions in meters, relative to the composite's origin. */
export interface CompositePart {
  /** Word for the part, added to the composite's name: "Top", "Leg 1". */
  label: string;
  type: ObjectType;
  /** Center of the part's box. */
  center: Vec3;
  /** Size of the part's box along x, y, z. */
  size: Vec3;
  /** The axis a cylinder or cone runs along (default z). */
  axis?: PartAxis;
  /** Sides of a cylinder or cone (a cone with 4 is a square pyramid). */
  segments?: number;
  /** "main" parts take the color asked for; "accent" parts keep theirs unless a second color is given; "fixed" never change. */
  role: "main" | "accent" | "fixed";
  color: string;
  material?: MaterialWords;
}

/** What the words of an instruction say about a composite. */
export interface CompositeOptions {
  /** Uniform factor from size words (small 0.5, big 2). */
  size: number;
  /** Per-axis factors from shape words (tall, wide, ...). */
  shape: Vec3;
  /** A count the composite understands: legs of a table, steps of stairs, posts of a fence, floors of a tower. */
  count?: number;
  /** Whether add_object can make a cone with 4 segments (a square pyramid). */
  pyramids: boolean;
}

export interface CompositeKind {
  /** The name its group gets: "Table". */
  name: string;
  /** Nouns that ask for it, singular; the plural adds "s" unless given. */
  nouns: readonly string[];
  /** What `count` counts, if anything ("legs"), and its range. */
  counts?: { noun: RegExp; min: number; max: number; default: number };
  build(options: CompositeOptions): CompositePart[];
}

const WOOD = "#8b5a2b";
const DARK_WOOD = "#5c3a1e";

function box(label: string, center: Vec3, size: Vec3, role: CompositePart["role"], color: string, material?: MaterialWords): CompositePart {
  return { label, type: "cube", center, size, role, color, ...(material ? { material } : {}) };
}

function rod(
  label: string,
  center: Vec3,
  radius: number,
  length: number,
  role: CompositePart["role"],
  color: string,
  axis: PartAxis = "z",
): CompositePart {
  const size: Vec3 =
    axis === "z" ? [radius * 2, radius * 2, length] : axis === "x" ? [length, radius * 2, radius * 2] : [radius * 2, length, radius * 2];
  return { label, type: "cylinder", center, size, axis, role, color };
}

function ball(label: string, center: Vec3, radius: number, role: CompositePart["role"], color: string): CompositePart {
  return { label, type: "uv_sphere", center, size: [radius * 2, radius * 2, radius * 2], role, color };
}

function cone(
  label: string,
  center: Vec3,
  radius: number,
  height: number,
  role: CompositePart["role"],
  color: string,
  axis: PartAxis = "z",
): CompositePart {
  const size: Vec3 = axis === "z" ? [radius * 2, radius * 2, height] : [radius * 2, height, radius * 2];
  return { label, type: "cone", center, size, axis, role, color };
}

/** A square pyramid: a 4-sided cone where add_object can make one, else a stepped pyramid of boxes. */
function pyramid(
  label: string,
  base: Vec3,
  width: number,
  height: number,
  role: CompositePart["role"],
  color: string,
  pyramids: boolean,
): CompositePart[] {
  if (pyramids)
    return [
      { label, type: "cone", center: [base[0], base[1], base[2] + height / 2], size: [width, width, height], segments: 4, role, color },
    ];
  const steps = 4;
  return Array.from({ length: steps }, (_, index) => {
    const side = width * (1 - index / steps);
    return box(
      `${label} ${index + 1}`,
      [base[0], base[1], base[2] + (height / steps) * (index + 0.5)],
      [side, side, height / steps],
      role,
      color,
    );
  });
}

/** Legs evenly around a rectangle's corners (4), or around its middle for other counts. */
function legPositions(count: number, halfX: number, halfY: number): Array<[number, number]> {
  if (count === 4) {
    return [
      [-halfX, -halfY],
      [halfX, -halfY],
      [-halfX, halfY],
      [halfX, halfY],
    ];
  }
  if (count === 1) return [[0, 0]];
  return Array.from({ length: count }, (_, index) => {
    const angle = (2 * Math.PI * index) / count + Math.PI / 2;
    return [halfX * Math.cos(angle), halfY * Math.sin(angle)];
  });
}

export const COMPOSITES: readonly CompositeKind[] = [
  {
    name: "Table",
    nouns: ["dining table", "coffee table", "table", "desk"],
    counts: { noun: /\blegs?\b/, min: 1, max: 8, default: 4 },
    build: ({ count = 4 }) => [
      box("Top", [0, 0, 0.74], [1.6, 0.9, 0.06], "main", WOOD),
      ...legPositions(count, 0.72, 0.37).map(([x, y], index) => box(`Leg ${index + 1}`, [x, y, 0.355], [0.07, 0.07, 0.71], "main", WOOD)),
    ],
  },
  {
    name: "Chair",
    nouns: ["chair"],
    counts: { noun: /\blegs?\b/, min: 3, max: 4, default: 4 },
    build: ({ count = 4 }) => [
      box("Seat", [0, 0, 0.46], [0.5, 0.5, 0.05], "main", WOOD),
      box("Back", [0, 0.225, 0.75], [0.5, 0.05, 0.53], "main", WOOD),
      ...legPositions(count, 0.22, 0.22).map(([x, y], index) => box(`Leg ${index + 1}`, [x, y, 0.2175], [0.05, 0.05, 0.435], "main", WOOD)),
    ],
  },
  {
    name: "Stool",
    nouns: ["bar stool", "stool"],
    counts: { noun: /\blegs?\b/, min: 3, max: 4, default: 3 },
    build: ({ count = 3 }) => [
      rod("Seat", [0, 0, 0.675], 0.2, 0.05, "main", WOOD),
      ...legPositions(count, 0.15, 0.15).map(([x, y], index) => rod(`Leg ${index + 1}`, [x, y, 0.325], 0.025, 0.65, "main", WOOD)),
    ],
  },
  {
    name: "Bench",
    nouns: ["park bench", "bench"],
    build: () => [
      box("Seat", [0, 0, 0.45], [1.6, 0.4, 0.06], "main", WOOD),
      box("Back", [0, 0.18, 0.75], [1.6, 0.04, 0.4], "main", WOOD),
      ...legPositions(4, 0.7, 0.16).map(([x, y], index) => box(`Leg ${index + 1}`, [x, y, 0.21], [0.06, 0.06, 0.42], "accent", "#2b2b2b")),
    ],
  },
  {
    name: "Shelf",
    nouns: ["bookshelf", "bookcase", "shelf"],
    counts: { noun: /\b(?:shelves|boards|levels)\b/, min: 2, max: 8, default: 4 },
    build: ({ count = 4 }) => [
      box("Side 1", [-0.5, 0, 0.9], [0.04, 0.3, 1.8], "main", WOOD),
      box("Side 2", [0.5, 0, 0.9], [0.04, 0.3, 1.8], "main", WOOD),
      ...Array.from({ length: count }, (_, index) =>
        box(`Board ${index + 1}`, [0, 0, 0.015 + (index * (1.8 - 0.03)) / (count - 1)], [0.96, 0.3, 0.03], "main", WOOD),
      ),
    ],
  },
  {
    name: "Lamp",
    nouns: ["floor lamp", "desk lamp", "table lamp", "lamp"],
    build: () => [
      rod("Base", [0, 0, 0.02], 0.15, 0.04, "accent", "#2b2b2b"),
      rod("Pole", [0, 0, 0.54], 0.015, 1.0, "accent", "#2b2b2b"),
      { ...ball("Bulb", [0, 0, 1.08], 0.06, "fixed", "#fff3c4"), material: { glow: 5 } },
      cone("Shade", [0, 0, 1.15], 0.22, 0.3, "main", "#f5deb3"),
    ],
  },
  {
    name: "Snowman",
    nouns: ["snowman", "snow man"],
    build: () => [
      ball("Base", [0, 0, 0.5], 0.5, "main", "white"),
      ball("Body", [0, 0, 1.35], 0.35, "main", "white"),
      ball("Head", [0, 0, 1.93], 0.23, "main", "white"),
      cone("Nose", [0, -0.3, 1.93], 0.04, 0.2, "fixed", "orange", "-y"),
      ball("Eye 1", [-0.08, -0.19, 2.01], 0.03, "fixed", "black"),
      ball("Eye 2", [0.08, -0.19, 2.01], 0.03, "fixed", "black"),
      rod("Hat", [0, 0, 2.305], 0.15, 0.25, "accent", "#1a1a1a"),
      rod("Hat Brim", [0, 0, 2.17], 0.24, 0.02, "accent", "#1a1a1a"),
    ],
  },
  {
    name: "Tree",
    nouns: ["pine tree", "christmas tree", "fir tree", "tree"],
    build: () => [
      rod("Trunk", [0, 0, 0.5], 0.15, 1, "accent", DARK_WOOD),
      cone("Leaves 1", [0, 0, 1.4], 0.8, 1.2, "main", "forestgreen"),
      cone("Leaves 2", [0, 0, 2.0], 0.6, 1.0, "main", "forestgreen"),
      cone("Leaves 3", [0, 0, 2.55], 0.4, 0.8, "main", "forestgreen"),
    ],
  },
  {
    name: "House",
    nouns: ["cottage", "cabin", "house", "hut"],
    build: ({ pyramids }) => [
      box("Walls", [0, 0, 1], [3, 3, 2], "main", "#e8d8b0"),
      ...pyramid("Roof", [0, 0, 2], 3.4, 1.4, "accent", "#8b2f23", pyramids),
      box("Door", [0, -1.51, 0.6], [0.7, 0.04, 1.2], "fixed", DARK_WOOD),
      box("Window 1", [-0.9, -1.51, 1.3], [0.5, 0.04, 0.5], "fixed", "#a7d8f0"),
      box("Window 2", [0.9, -1.51, 1.3], [0.5, 0.04, 0.5], "fixed", "#a7d8f0"),
    ],
  },
  {
    name: "Fence",
    nouns: ["fence"],
    counts: { noun: /\bposts?\b/, min: 2, max: 20, default: 5 },
    build: ({ count = 5 }) => {
      const width = (count - 1) * 1;
      return [
        ...Array.from({ length: count }, (_, index) => box(`Post ${index + 1}`, [-width / 2 + index, 0, 0.5], [0.1, 0.1, 1], "main", WOOD)),
        box("Rail 1", [0, 0, 0.35], [width + 0.1, 0.05, 0.1], "main", WOOD),
        box("Rail 2", [0, 0, 0.8], [width + 0.1, 0.05, 0.1], "main", WOOD),
      ];
    },
  },
  {
    name: "Stairs",
    nouns: ["staircase", "stairs", "steps", "stair"],
    counts: { noun: /\bsteps?\b/, min: 2, max: 30, default: 5 },
    build: ({ count = 5 }) =>
      Array.from({ length: count }, (_, index) =>
        box(
          `Step ${index + 1}`,
          [0, (index - (count - 1) / 2) * 0.3, (0.2 * (index + 1)) / 2],
          [1, 0.3, 0.2 * (index + 1)],
          "main",
          "#b0b0b0",
        ),
      ),
  },
  {
    name: "Pyramid",
    nouns: ["pyramid"],
    build: ({ pyramids }) => pyramid("Body", [0, 0, 0], 2, 1.4, "main", "#d8b46a", pyramids),
  },
  {
    name: "Arch",
    nouns: ["archway", "arch", "gate"],
    build: () => [
      box("Pillar 1", [-0.8, 0, 1], [0.4, 0.4, 2], "main", "#a9a9a9"),
      box("Pillar 2", [0.8, 0, 1], [0.4, 0.4, 2], "main", "#a9a9a9"),
      box("Lintel", [0, 0, 2.2], [2.2, 0.5, 0.4], "main", "#a9a9a9"),
    ],
  },
  {
    name: "Car",
    nouns: ["car", "automobile", "vehicle"],
    build: () => [
      box("Body", [0, 0, 0.55], [3.6, 1.6, 0.6], "main", "red"),
      box("Cabin", [-0.2, 0, 1.1], [1.8, 1.4, 0.5], "main", "red"),
      box("Windshield", [0.71, 0, 1.1], [0.02, 1.3, 0.4], "fixed", "#a7d8f0"),
      ...[
        [-1.1, -0.8],
        [1.1, -0.8],
        [-1.1, 0.8],
        [1.1, 0.8],
      ].map(([x, y], index) => rod(`Wheel ${index + 1}`, [x!, y!, 0.35], 0.35, 0.25, "fixed", "#1a1a1a", "y")),
    ],
  },
  {
    name: "Rocket",
    nouns: ["spaceship", "rocket", "spacecraft"],
    build: () => [
      rod("Body", [0, 0, 1.5], 0.35, 2.4, "main", "white"),
      cone("Nose", [0, 0, 3.1], 0.35, 0.8, "accent", "red"),
      ...[0, 1, 2, 3].map((index) => {
        const angle = (index * Math.PI) / 2;
        const along: Vec3 = index % 2 === 0 ? [0.5, 0.05, 0.7] : [0.05, 0.5, 0.7];
        return box(`Fin ${index + 1}`, [0.5 * Math.cos(angle), 0.5 * Math.sin(angle), 0.65], along, "accent", "red");
      }),
      cone("Nozzle", [0, 0, 0.15], 0.25, 0.3, "fixed", "#555555"),
    ],
  },
  {
    name: "Tower",
    nouns: ["castle tower", "tower", "lighthouse"],
    counts: { noun: /\b(?:floors|storeys|stories|levels)\b/, min: 1, max: 10, default: 3 },
    build: ({ count = 3 }) => [
      rod("Body", [0, 0, count / 2], 0.6, count, "main", "#a9a9a9"),
      cone("Roof", [0, 0, count + 0.5], 0.8, 1, "accent", "#8b2f23"),
    ],
  },
  {
    name: "Bed",
    nouns: ["bed"],
    build: () => [
      box("Frame", [0, 0, 0.15], [1.6, 2.1, 0.3], "accent", WOOD),
      box("Mattress", [0, 0, 0.4], [1.5, 2.0, 0.2], "main", "white"),
      box("Headboard", [0, 1.03, 0.45], [1.6, 0.06, 0.9], "accent", WOOD),
      box("Pillow", [0, 0.75, 0.55], [0.8, 0.35, 0.1], "fixed", "white"),
    ],
  },
  {
    name: "Sofa",
    nouns: ["couch", "sofa"],
    build: () => [
      box("Seat", [0, 0, 0.2], [2, 0.9, 0.4], "main", "#4a6fa5"),
      box("Back", [0, 0.35, 0.6], [2, 0.2, 0.6], "main", "#4a6fa5"),
      box("Arm 1", [-0.95, 0, 0.4], [0.2, 0.9, 0.4], "main", "#4a6fa5"),
      box("Arm 2", [0.95, 0, 0.4], [0.2, 0.9, 0.4], "main", "#4a6fa5"),
    ],
  },
  {
    name: "Mushroom",
    nouns: ["toadstool", "mushroom"],
    build: () => [
      rod("Stem", [0, 0, 0.3], 0.12, 0.6, "accent", "#f5f0e1"),
      { ...ball("Cap", [0, 0, 0.6], 0.4, "main", "red"), size: [0.8, 0.8, 0.5] },
    ],
  },
];

/** The composite a noun asks for ("table", "tables", "snowmen"), longest nouns first. */
export function findComposite(noun: string): CompositeKind | undefined {
  return COMPOSITES.find((kind) => kind.nouns.some((word) => word === noun || pluralOf(word) === noun));
}

export function pluralOf(noun: string): string {
  if (/man$/.test(noun)) return noun.replace(/man$/, "men");
  if (/(?:s|sh|ch|x)$/.test(noun)) return `${noun}es`;
  if (/[^aeiou]y$/.test(noun)) return noun.replace(/y$/, "ies");
  if (noun === "stairs") return noun;
  if (noun === "shelf") return "shelves";
  return `${noun}s`;
}

/** Every noun of every composite, singular and plural, longest first (for matching). */
export const COMPOSITE_NOUNS: readonly string[] = [
  ...new Set(COMPOSITES.flatMap((kind) => kind.nouns.flatMap((noun) => [noun, pluralOf(noun)]))),
].sort((a, b) => b.length - a.length);

/**
 * The parts of one composite at the options' size and shape: every center and size multiplied,
 * axis by axis, by size × shape. The footprint stays centered on the origin, the bottom at z 0.
 */
export function buildComposite(kind: CompositeKind, options: CompositeOptions): CompositePart[] {
  const factor = options.shape.map((value) => value * options.size) as Vec3;
  const count = kind.counts ? Math.min(kind.counts.max, Math.max(kind.counts.min, options.count ?? kind.counts.default)) : undefined;
  return kind.build({ ...options, ...(count !== undefined ? { count } : {}) }).map((part) => ({
    ...part,
    center: part.center.map((value, axis) => value * factor[axis]!) as Vec3,
    size: part.size.map((value, axis) => value * factor[axis]!) as Vec3,
  }));
}

/** The box around parts, [min, max] per axis. */
export function partsBounds(parts: readonly CompositePart[]): { min: Vec3; max: Vec3 } {
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const part of parts) {
    for (let axis = 0; axis < 3; axis++) {
      min[axis] = Math.min(min[axis]!, part.center[axis]! - part.size[axis]! / 2);
      max[axis] = Math.max(max[axis]!, part.center[axis]! + part.size[axis]! / 2);
    }
  }
  return { min, max };
}

/**
 * add_object's rotation (degrees) and scale for a part: primitives are 2 m across at scale 1, and a
 * cylinder or cone along x or y is a z one turned 90°, so its scale swaps axes. A 4-sided cone is
 * turned 45° so that its sides face the axes; its box is then its base's side, √2 × its radius.
 */
export function partTransform(part: CompositePart): { rotation: Vec3; scale: Vec3 } {
  const [x, y, z] = part.size;
  if (part.segments === 4 && part.type === "cone") return { rotation: [0, 0, 45], scale: [x / Math.SQRT2, y / Math.SQRT2, z / 2] };
  switch (part.axis) {
    case "x":
      return { rotation: [0, 90, 0], scale: [z / 2, y / 2, x / 2] };
    case "y":
      return { rotation: [-90, 0, 0], scale: [x / 2, z / 2, y / 2] };
    case "-y":
      return { rotation: [90, 0, 0], scale: [x / 2, z / 2, y / 2] };
    default:
      return { rotation: [0, 0, 0], scale: [x / 2, y / 2, z / 2] };
  }
}
