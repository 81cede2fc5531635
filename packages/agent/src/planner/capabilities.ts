// What the offline planner can do, as the reply to "help" and to anything it cannot read, and the
// limits it keeps to.

/** Largest number of objects one instruction may add. */
export const MAX_OBJECTS_PER_INSTRUCTION = 50;

/** What the planner can do, with examples; the reply to "help" and to anything it cannot read. */
export const CAPABILITIES = [
  'add objects: cube, sphere, ico sphere, cylinder, cone, torus, plane or floor, circle, monkey, text "Hello" (e.g. "three blue spheres in a row", "a big red cube at 2, 0, 1", "a cone above the cube")',
  'change them: "make the cube blue", "make the sphere metallic / glossy / matte / glowing / transparent", "move the sphere up by 2", "rotate the cone 45 degrees", "make the cube twice as big", "rename the cube to Box", "duplicate the cube", "delete the plane"',
  'build things made of parts, as one group: table, chair, stool, bench, shelf, lamp, snowman, tree, house, fence, stairs, pyramid, arch, car, rocket, tower, bed, sofa, mushroom (e.g. "build a snowman", "a small wooden table with three legs next to the cube", "put the sphere on the table")',
  'looks: "make it look like sunset", "night", "studio lighting", "overcast", "neon"',
  'shape, motion and images: "bevel the cube\'s edges", "make the sphere smooth", "cut the sphere out of the cube", "make the cube spin once over two seconds and render a video", "use this image as the floor\'s texture"',
  'lights: "add a sun", "a blue point light at 2, 2, 4", "a spot light above the cube"',
  'camera: "look from above", "view from the front", "camera at 0, -10, 3", "look at the cube", "zoom in"',
  'background: "make the background black"',
  'render: "render the scene", "render in cycles at 1920x1080 with 128 samples"',
  'export: "export as glb" (or gltf, obj, stl, fbx, blend)',
  'the scene: "what is in the scene?", "clear the scene"',
] as const;

export function capabilitiesText(): string {
  return `I can:\n${CAPABILITIES.map((line) => `- ${line}`).join("\n")}`;
}
