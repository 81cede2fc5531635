// The words the offline planner understands: object and light nouns, counts, sizes, materials,
// camera views and render presets. Kept apart from the grammar so the vocabulary reads as a table.
import type { LightType, ObjectType } from "@bod/contracts";

/** Nouns for each object type, singular and plural; longer phrases first when matching. */
export const OBJECT_NOUNS: ReadonlyArray<readonly [string, ObjectType]> = [
  ["uv spheres", "uv_sphere"],
  ["uv sphere", "uv_sphere"],
  ["uv_spheres", "uv_sphere"],
  ["uv_sphere", "uv_sphere"],
  ["ico spheres", "ico_sphere"],
  ["ico sphere", "ico_sphere"],
  ["ico_spheres", "ico_sphere"],
  ["ico_sphere", "ico_sphere"],
  ["icospheres", "ico_sphere"],
  ["icosphere", "ico_sphere"],
  ["geodesic spheres", "ico_sphere"],
  ["geodesic sphere", "ico_sphere"],
  ["monkey heads", "monkey"],
  ["monkey head", "monkey"],
  ["cubes", "cube"],
  ["cube", "cube"],
  ["boxes", "cube"],
  ["box", "cube"],
  ["blocks", "cube"],
  ["block", "cube"],
  ["spheres", "uv_sphere"],
  ["sphere", "uv_sphere"],
  ["balls", "uv_sphere"],
  ["ball", "uv_sphere"],
  ["orbs", "uv_sphere"],
  ["orb", "uv_sphere"],
  ["cylinders", "cylinder"],
  ["cylinder", "cylinder"],
  ["pillars", "cylinder"],
  ["pillar", "cylinder"],
  ["columns", "cylinder"],
  ["column", "cylinder"],
  ["tubes", "cylinder"],
  ["tube", "cylinder"],
  ["cones", "cone"],
  ["cone", "cone"],
  ["toruses", "torus"],
  ["tori", "torus"],
  ["torus", "torus"],
  ["donuts", "torus"],
  ["donut", "torus"],
  ["doughnuts", "torus"],
  ["doughnut", "torus"],
  ["rings", "torus"],
  ["ring", "torus"],
  ["planes", "plane"],
  ["plane", "plane"],
  ["ground planes", "plane"],
  ["ground plane", "plane"],
  ["floor plane", "plane"],
  ["floor", "plane"],
  ["ground", "plane"],
  ["circles", "circle"],
  ["circle", "circle"],
  ["discs", "circle"],
  ["disc", "circle"],
  ["disks", "circle"],
  ["disk", "circle"],
  ["monkeys", "monkey"],
  ["monkey", "monkey"],
  ["suzannes", "monkey"],
  ["suzanne", "monkey"],
  ["texts", "text"],
  ["text", "text"],
  ["words", "text"],
  ["word", "text"],
  ["labels", "text"],
  ["label", "text"],
  ["titles", "text"],
  ["title", "text"],
];

/** The name Blender gives each primitive; the planner names new objects after it. */
export const BASE_NAMES: Record<ObjectType, string> = {
  cube: "Cube",
  uv_sphere: "Sphere",
  ico_sphere: "Icosphere",
  cylinder: "Cylinder",
  cone: "Cone",
  torus: "Torus",
  plane: "Plane",
  circle: "Circle",
  monkey: "Suzanne",
  text: "Text",
};

/** Size of each primitive at scale 1, in meters ([x, y, z]); Blender's defaults. */
export const DEFAULT_DIMENSIONS: Record<ObjectType, [number, number, number]> = {
  cube: [2, 2, 2],
  uv_sphere: [2, 2, 2],
  ico_sphere: [2, 2, 2],
  cylinder: [2, 2, 2],
  cone: [2, 2, 2],
  torus: [2.5, 2.5, 0.5],
  plane: [2, 2, 0],
  circle: [2, 2, 0],
  monkey: [2.73, 1.71, 1.97],
  text: [2, 0.7, 0],
};

/** Nouns for each light type; longer phrases first when matching. */
export const LIGHT_NOUNS: ReadonlyArray<readonly [string, LightType]> = [
  ["point lights", "point"],
  ["point light", "point"],
  ["point lamp", "point"],
  ["light bulbs", "point"],
  ["light bulb", "point"],
  ["spot lights", "spot"],
  ["spot light", "spot"],
  ["spotlights", "spot"],
  ["spotlight", "spot"],
  ["area lights", "area"],
  ["area light", "area"],
  ["softbox", "area"],
  ["sun light", "sun"],
  ["sunlight", "sun"],
  ["sun lamp", "sun"],
  ["sun", "sun"],
  ["bulbs", "point"],
  ["bulb", "point"],
  ["lamps", "point"],
  ["lamp", "point"],
  ["lights", "point"],
  ["light", "point"],
];

/** Where a light goes when no position is given, in meters. */
export const DEFAULT_LIGHT_LOCATIONS: Record<LightType, [number, number, number]> = {
  point: [4, -4, 5],
  sun: [0, 0, 10],
  spot: [0, -6, 6],
  area: [0, -4, 5],
};

export const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  single: 1,
  two: 2,
  pair: 2,
  couple: 2,
  three: 3,
  few: 3,
  several: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  dozen: 12,
  fifteen: 15,
  twenty: 20,
};

/** Uniform scale factors for size adjectives when adding an object. */
export const SIZE_WORDS: Record<string, number> = {
  tiny: 0.25,
  little: 0.5,
  small: 0.5,
  medium: 1,
  normal: 1,
  big: 2,
  large: 2,
  huge: 3,
  giant: 3,
  enormous: 4,
  massive: 4,
};

/** Material properties for surface adjectives (set_material fields). */
export interface MaterialWords {
  metallic?: number;
  roughness?: number;
  alpha?: number;
  glow?: number;
  color?: string;
}

export const MATERIAL_WORDS: ReadonlyArray<readonly [RegExp, MaterialWords]> = [
  [/\b(?:semi[- ]?transparent|translucent|see[- ]through)\b/, { alpha: 0.5 }],
  [/\b(?:transparent|glass|glassy)\b/, { alpha: 0.3, roughness: 0.05 }],
  [/\binvisible\b/, { alpha: 0 }],
  [/\b(?:opaque|non-transparent)\b/, { alpha: 1 }],
  [/\b(?:chrome|mirror(?:ed)?)\b/, { metallic: 1, roughness: 0.05 }],
  [/\b(?:glossy|shiny|polished|shinier|glossier)\b/, { roughness: 0.1 }],
  [/\b(?:matte|matt|rough|dull|flat)\b/, { roughness: 0.9, metallic: 0 }],
  [/\bgolden\b/, { metallic: 1, roughness: 0.2, color: "gold" }],
  [/\b(?:metallic|metal|steel|iron)\b/, { metallic: 1, roughness: 0.25 }],
  [/\b(?:plastic)\b/, { roughness: 0.4, metallic: 0 }],
  [/\b(?:glowing|glow|glows|emissive|emitting|neon|luminous|lit up|shining)\b/, { glow: 5 }],
];

/** Camera views: where the camera goes relative to the point it looks at, before scaling by distance. */
export const CAMERA_VIEWS: ReadonlyArray<readonly [RegExp, [number, number, number], string]> = [
  [/\b(?:from )?(?:above|overhead|the top|top[- ]down|bird'?s[- ]eye)\b|\btop view\b/, [0, -0.05, 1], "from above"],
  [/\b(?:from )?(?:below|underneath|beneath|the bottom)\b|\bbottom view\b/, [0, -0.3, -1], "from below"],
  [/\b(?:from )?(?:the )?(?:left)(?: side)?\b|\bleft view\b/, [-1, 0, 0.15], "from the left"],
  [/\b(?:from )?(?:the )?(?:right|side)(?: side)?\b|\b(?:right|side) view\b/, [1, 0, 0.15], "from the right"],
  [/\b(?:from )?(?:behind|the back|the rear)\b|\bback view\b/, [0, 1, 0.15], "from behind"],
  [/\b(?:from )?(?:the )?front\b|\bfront view\b/, [0, -1, 0.15], "from the front"],
  [/\b(?:isometric|an angle|three[- ]quarters?|diagonal(?:ly)?|the corner)\b/, [1, -1, 0.8], "from an angle"],
];

/** Render resolutions by name, [width, height] in pixels. */
export const RESOLUTION_WORDS: ReadonlyArray<readonly [RegExp, number, number]> = [
  [/\b(?:8k)\b/, 7680, 4320],
  [/\b(?:4k|uhd|2160p)\b/, 3840, 2160],
  [/\b(?:2k|qhd|1440p)\b/, 2560, 1440],
  [/\b(?:full ?hd|fhd|1080p)\b/, 1920, 1080],
  [/\b(?:720p|hd)\b/, 1280, 720],
  [/\b(?:480p|sd)\b/, 854, 480],
  [/\b(?:square)\b/, 1024, 1024],
  [/\b(?:portrait|vertical)\b/, 1080, 1920],
];
