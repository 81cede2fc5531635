// The offline planner's table: instructions in plain English and the exact tool calls they become,
// with and without a scene. Every planned call must validate against the tool contracts.
import { findToolContract } from "@bod/contracts";
import { describe, expect, it } from "vitest";
import { capabilitiesText, type PlanResult, planInstructions } from "./planner.ts";
import { TABLE_SCENE } from "./table-scene.ts";

type Case =
  /** `scene: true`: the message refers to existing objects, so the planner first asks for the scene. */
  | { text: string; scene: boolean; calls: Array<[string, Record<string, unknown>]> }
  | { text: string; scene: boolean; refusal: string }
  | { text: string; scene: boolean; notes: string };

const CASES: Case[] = [
  { text: "add a cube", scene: false, calls: [["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }]] },
  { text: "add a uv sphere", scene: false, calls: [["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 0] }]] },
  { text: "add a sphere", scene: false, calls: [["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 0] }]] },
  { text: "add a ball", scene: false, calls: [["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 0] }]] },
  { text: "add an ico sphere", scene: false, calls: [["add_object", { type: "ico_sphere", name: "Icosphere", location: [0, 0, 0] }]] },
  { text: "add an icosphere", scene: false, calls: [["add_object", { type: "ico_sphere", name: "Icosphere", location: [0, 0, 0] }]] },
  { text: "add a cylinder", scene: false, calls: [["add_object", { type: "cylinder", name: "Cylinder", location: [0, 0, 0] }]] },
  { text: "add a cone", scene: false, calls: [["add_object", { type: "cone", name: "Cone", location: [0, 0, 0] }]] },
  { text: "add a torus", scene: false, calls: [["add_object", { type: "torus", name: "Torus", location: [0, 0, 0] }]] },
  { text: "add a donut", scene: false, calls: [["add_object", { type: "torus", name: "Torus", location: [0, 0, 0] }]] },
  { text: "add a plane", scene: false, calls: [["add_object", { type: "plane", name: "Plane", location: [0, 0, 0] }]] },
  { text: "add a floor", scene: false, calls: [["add_object", { type: "plane", name: "Floor", location: [0, 0, -1], scale: 10 }]] },
  { text: "add a circle", scene: false, calls: [["add_object", { type: "circle", name: "Circle", location: [0, 0, 0] }]] },
  { text: "add a monkey", scene: false, calls: [["add_object", { type: "monkey", name: "Suzanne", location: [0, 0, 0] }]] },
  { text: "add suzanne", scene: false, calls: [["add_object", { type: "monkey", name: "Suzanne", location: [0, 0, 0] }]] },
  { text: 'add text "Hello"', scene: false, calls: [["add_object", { type: "text", name: "Text", text: "Hello", location: [0, 0, 0] }]] },
  {
    text: 'add the text "Blender on demand"',
    scene: false,
    calls: [["add_object", { type: "text", name: "Text", text: "Blender on demand", location: [0, 0, 0] }]],
  },
  {
    text: "add a label saying Welcome home",
    scene: false,
    calls: [["add_object", { type: "text", name: "Text", text: "Welcome home", location: [0, 0, 0] }]],
  },
  {
    text: "three blue spheres",
    scene: false,
    calls: [
      ["add_object", { type: "uv_sphere", name: "Sphere", color: "blue", location: [-3, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere.001", color: "blue", location: [0, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere.002", color: "blue", location: [3, 0, 0] }],
    ],
  },
  {
    text: "two red cubes",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", color: "red", location: [-1.5, 0, 0] }],
      ["add_object", { type: "cube", name: "Cube.001", color: "red", location: [1.5, 0, 0] }],
    ],
  },
  {
    text: "5 cones in a row",
    scene: false,
    calls: [
      ["add_object", { type: "cone", name: "Cone", location: [-6, 0, 0] }],
      ["add_object", { type: "cone", name: "Cone.001", location: [-3, 0, 0] }],
      ["add_object", { type: "cone", name: "Cone.002", location: [0, 0, 0] }],
      ["add_object", { type: "cone", name: "Cone.003", location: [3, 0, 0] }],
      ["add_object", { type: "cone", name: "Cone.004", location: [6, 0, 0] }],
    ],
  },
  {
    text: "four cylinders in a circle",
    scene: false,
    calls: [
      ["add_object", { type: "cylinder", name: "Cylinder", location: [3, 0, 0] }],
      ["add_object", { type: "cylinder", name: "Cylinder.001", location: [0, 3, 0] }],
      ["add_object", { type: "cylinder", name: "Cylinder.002", location: [-3, 0, 0] }],
      ["add_object", { type: "cylinder", name: "Cylinder.003", location: [0, -3, 0] }],
    ],
  },
  {
    text: "three cubes stacked",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }],
      ["add_object", { type: "cube", name: "Cube.001", location: [0, 0, 2] }],
      ["add_object", { type: "cube", name: "Cube.002", location: [0, 0, 4] }],
    ],
  },
  {
    text: "a dozen small balls in a grid",
    scene: false,
    calls: [
      ["add_object", { type: "uv_sphere", name: "Sphere", location: [-3, -2, 0], scale: 0.5 }],
      ["add_object", { type: "uv_sphere", name: "Sphere.001", location: [-1, -2, 0], scale: 0.5 }],
      ["add_object", { type: "uv_sphere", name: "Sphere.002", location: [1, -2, 0], scale: 0.5 }],
      ["add_object", { type: "uv_sphere", name: "Sphere.003", location: [3, -2, 0], scale: 0.5 }],
      ["add_object", { type: "uv_sphere", name: "Sphere.004", location: [-3, 0, 0], scale: 0.5 }],
      ["add_object", { type: "uv_sphere", name: "Sphere.005", location: [-1, 0, 0], scale: 0.5 }],
      ["add_object", { type: "uv_sphere", name: "Sphere.006", location: [1, 0, 0], scale: 0.5 }],
      ["add_object", { type: "uv_sphere", name: "Sphere.007", location: [3, 0, 0], scale: 0.5 }],
      ["add_object", { type: "uv_sphere", name: "Sphere.008", location: [-3, 2, 0], scale: 0.5 }],
      ["add_object", { type: "uv_sphere", name: "Sphere.009", location: [-1, 2, 0], scale: 0.5 }],
      ["add_object", { type: "uv_sphere", name: "Sphere.010", location: [1, 2, 0], scale: 0.5 }],
      ["add_object", { type: "uv_sphere", name: "Sphere.011", location: [3, 2, 0], scale: 0.5 }],
    ],
  },
  { text: "add a red cube", scene: false, calls: [["add_object", { type: "cube", name: "Cube", color: "red", location: [0, 0, 0] }]] },
  {
    text: "add a #ff8800 cube",
    scene: false,
    calls: [["add_object", { type: "cube", name: "Cube", color: "#ff8800", location: [0, 0, 0] }]],
  },
  {
    text: "add a #0f0 sphere",
    scene: false,
    calls: [["add_object", { type: "uv_sphere", name: "Sphere", color: "#0f0", location: [0, 0, 0] }]],
  },
  {
    text: "add a steelblue torus",
    scene: false,
    calls: [["add_object", { type: "torus", name: "Torus", color: "steelblue", location: [0, 0, 0] }]],
  },
  {
    text: "add a light blue cone",
    scene: false,
    calls: [["add_object", { type: "cone", name: "Cone", color: "light blue", location: [0, 0, 0] }]],
  },
  {
    text: "add a dark green cylinder",
    scene: false,
    calls: [["add_object", { type: "cylinder", name: "Cylinder", color: "dark green", location: [0, 0, 0] }]],
  },
  { text: "add a cube at 2, 0, 1", scene: false, calls: [["add_object", { type: "cube", name: "Cube", location: [2, 0, 1] }]] },
  {
    text: "add a sphere at (1, -2, 0.5)",
    scene: false,
    calls: [["add_object", { type: "uv_sphere", name: "Sphere", location: [1, -2, 0.5] }]],
  },
  { text: "add a monkey at x=2 y=3", scene: false, calls: [["add_object", { type: "monkey", name: "Suzanne", location: [2, 3, 0] }]] },
  { text: "add a cube in the center", scene: false, calls: [["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }]] },
  { text: "add a cube on the left", scene: false, calls: [["add_object", { type: "cube", name: "Cube", location: [-3, 0, 0] }]] },
  { text: "add a sphere on the right", scene: false, calls: [["add_object", { type: "uv_sphere", name: "Sphere", location: [3, 0, 0] }]] },
  { text: "add a big cube", scene: false, calls: [["add_object", { type: "cube", name: "Cube", location: [0, 0, 0], scale: 2 }]] },
  {
    text: "add a small sphere",
    scene: false,
    calls: [["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 0], scale: 0.5 }]],
  },
  { text: "add a tiny cone", scene: false, calls: [["add_object", { type: "cone", name: "Cone", location: [0, 0, 0], scale: 0.25 }]] },
  { text: "add a huge torus", scene: false, calls: [["add_object", { type: "torus", name: "Torus", location: [0, 0, 0], scale: 3 }]] },
  { text: "add a cube of size 2", scene: false, calls: [["add_object", { type: "cube", name: "Cube", location: [0, 0, 0], scale: 2 }]] },
  {
    text: "add a sphere 4 meters wide",
    scene: false,
    calls: [["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 0], scale: 2 }]],
  },
  {
    text: "add a cylinder 3 m tall",
    scene: false,
    calls: [["add_object", { type: "cylinder", name: "Cylinder", location: [0, 0, 0], scale: 1.5 }]],
  },
  {
    text: "add a metallic sphere",
    scene: false,
    calls: [
      ["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 0] }],
      ["set_material", { name: "Sphere", metallic: 1, roughness: 0.25 }],
    ],
  },
  {
    text: "add a glossy red cube",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", color: "red", location: [0, 0, 0] }],
      ["set_material", { name: "Cube", roughness: 0.1 }],
    ],
  },
  {
    text: "add a matte white plane",
    scene: false,
    calls: [
      ["add_object", { type: "plane", name: "Plane", color: "white", location: [0, 0, 0] }],
      ["set_material", { name: "Plane", metallic: 0, roughness: 0.9 }],
    ],
  },
  {
    text: "add a glowing green torus",
    scene: false,
    calls: [
      ["add_object", { type: "torus", name: "Torus", color: "green", location: [0, 0, 0] }],
      ["set_material", { name: "Torus", emissionColor: "green", emissionStrength: 5 }],
    ],
  },
  {
    text: "add a transparent ico sphere",
    scene: false,
    calls: [
      ["add_object", { type: "ico_sphere", name: "Icosphere", location: [0, 0, 0] }],
      ["set_material", { name: "Icosphere", roughness: 0.05, alpha: 0.3 }],
    ],
  },
  {
    text: "add a golden monkey",
    scene: false,
    calls: [
      ["add_object", { type: "monkey", name: "Suzanne", color: "gold", location: [0, 0, 0] }],
      ["set_material", { name: "Suzanne", metallic: 1, roughness: 0.2 }],
    ],
  },
  {
    text: "add a shiny metallic blue sphere",
    scene: false,
    calls: [
      ["add_object", { type: "uv_sphere", name: "Sphere", color: "blue", location: [0, 0, 0] }],
      ["set_material", { name: "Sphere", metallic: 1, roughness: 0.1 }],
    ],
  },
  {
    text: "add a neon pink torus",
    scene: false,
    calls: [
      ["add_object", { type: "torus", name: "Torus", color: "pink", location: [0, 0, 0] }],
      ["set_material", { name: "Torus", emissionColor: "pink", emissionStrength: 5 }],
    ],
  },
  {
    text: "add a glass cube",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }],
      ["set_material", { name: "Cube", roughness: 0.05, alpha: 0.3 }],
    ],
  },
  { text: "add a cube named Box", scene: false, calls: [["add_object", { type: "cube", name: "Box", location: [0, 0, 0] }]] },
  {
    text: 'add a sphere called "Big Ball"',
    scene: false,
    calls: [["add_object", { type: "uv_sphere", name: "Big Ball", location: [0, 0, 0] }]],
  },
  {
    text: "add a red cube and a blue sphere",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", color: "red", location: [0, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere", color: "blue", location: [3, 0, 0] }],
    ],
  },
  {
    text: "add a red cube, a green cone and a yellow torus",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", color: "red", location: [0, 0, 0] }],
      ["add_object", { type: "cone", name: "Cone", color: "green", location: [3, 0, 0] }],
      ["add_object", { type: "torus", name: "Torus", color: "yellow", location: [6.25, 0, 0] }],
    ],
  },
  {
    text: "add a cube and a sphere on top of it",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 2] }],
    ],
  },
  {
    text: "add a cube at 1, 2, 3 and a sphere above it",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", location: [1, 2, 3] }],
      ["add_object", { type: "uv_sphere", name: "Sphere", location: [1, 2, 5.5] }],
    ],
  },
  { text: "make a red cube", scene: false, calls: [["add_object", { type: "cube", name: "Cube", color: "red", location: [0, 0, 0] }]] },
  {
    text: "create two green cones",
    scene: false,
    calls: [
      ["add_object", { type: "cone", name: "Cone", color: "green", location: [-1.5, 0, 0] }],
      ["add_object", { type: "cone", name: "Cone.001", color: "green", location: [1.5, 0, 0] }],
    ],
  },
  {
    text: "put a cone next to a cube",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }],
      ["add_object", { type: "cone", name: "Cone", location: [3, 0, 0] }],
    ],
  },
  {
    text: "add a red cube on top of a blue cube",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", color: "blue", location: [0, 0, 0] }],
      ["add_object", { type: "cube", name: "Cube.001", color: "red", location: [0, 0, 2] }],
    ],
  },
  {
    text: "add a sphere above a big cylinder",
    scene: false,
    calls: [
      ["add_object", { type: "cylinder", name: "Cylinder", location: [0, 0, 0], scale: 2 }],
      ["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 3.5] }],
    ],
  },
  {
    text: "add a red cube on top of the box",
    scene: true,
    calls: [["add_object", { type: "cube", name: "Cube.001", color: "red", location: [0, 4, 3] }]],
  },
  {
    text: "i want a purple monkey",
    scene: false,
    calls: [["add_object", { type: "monkey", name: "Suzanne", color: "purple", location: [0, 0, 0] }]],
  },
  { text: "please add a cube, thanks", scene: false, calls: [["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }]] },
  { text: "can you add a sphere?", scene: false, calls: [["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 0] }]] },
  { text: "a red cube", scene: false, calls: [["add_object", { type: "cube", name: "Cube", color: "red", location: [0, 0, 0] }]] },
  { text: "make the cube blue", scene: true, calls: [["update_object", { name: "Cube", color: "blue" }]] },
  { text: "make the red cube yellow", scene: true, calls: [["update_object", { name: "Cube", color: "yellow" }]] },
  { text: "make the blue cube green", scene: true, calls: [["update_object", { name: "Box", color: "green" }]] },
  { text: "color the sphere orange", scene: true, calls: [["update_object", { name: "Sphere", color: "orange" }]] },
  { text: "paint the cone #336699", scene: true, calls: [["update_object", { name: "Cone", color: "#336699" }]] },
  { text: "turn the cube purple", scene: true, calls: [["update_object", { name: "Cube", color: "purple" }]] },
  { text: "change the color of the sphere to teal", scene: true, calls: [["update_object", { name: "Sphere", color: "teal" }]] },
  { text: "set the cube's color to white", scene: true, calls: [["update_object", { name: "Cube", color: "white" }]] },
  {
    text: "make the cube and the sphere red",
    scene: true,
    calls: [
      ["update_object", { name: "Cube", color: "red" }],
      ["update_object", { name: "Sphere", color: "red" }],
    ],
  },
  { text: "make the cube metallic", scene: true, calls: [["set_material", { name: "Cube", metallic: 1, roughness: 0.25 }]] },
  { text: "make the sphere glossy", scene: true, calls: [["set_material", { name: "Sphere", roughness: 0.1 }]] },
  { text: "make the cone matte", scene: true, calls: [["set_material", { name: "Cone", metallic: 0, roughness: 0.9 }]] },
  { text: "make the cube glow", scene: true, calls: [["set_material", { name: "Cube", emissionColor: "white", emissionStrength: 5 }]] },
  {
    text: "make the sphere glowing red",
    scene: true,
    calls: [["set_material", { name: "Sphere", color: "red", emissionColor: "red", emissionStrength: 5 }]],
  },
  { text: "make the cube transparent", scene: true, calls: [["set_material", { name: "Cube", roughness: 0.05, alpha: 0.3 }]] },
  { text: "make the sphere shiny and blue", scene: true, calls: [["set_material", { name: "Sphere", color: "blue", roughness: 0.1 }]] },
  { text: "make Box red", scene: true, calls: [["update_object", { name: "Box", color: "red" }]] },
  { text: "make the box gold", scene: true, calls: [["update_object", { name: "Box", color: "gold" }]] },
  { text: "move the sphere up by 2", scene: true, calls: [["update_object", { name: "Sphere", translate: [0, 0, 2] }]] },
  { text: "move the cube down 1", scene: true, calls: [["update_object", { name: "Cube", translate: [0, 0, -1] }]] },
  { text: "move the cone left by 3", scene: true, calls: [["update_object", { name: "Cone", translate: [-3, 0, 0] }]] },
  { text: "move the sphere right", scene: true, calls: [["update_object", { name: "Sphere", translate: [1, 0, 0] }]] },
  { text: "move the cube forward 2 units", scene: true, calls: [["update_object", { name: "Cube", translate: [0, -2, 0] }]] },
  { text: "move the sphere back", scene: true, calls: [["update_object", { name: "Sphere", translate: [0, 1, 0] }]] },
  { text: "raise the cone by 0.5", scene: true, calls: [["update_object", { name: "Cone", translate: [0, 0, 0.5] }]] },
  { text: "lower the cube", scene: true, calls: [["update_object", { name: "Cube", translate: [0, 0, -1] }]] },
  { text: "move the cube to 1, 2, 3", scene: true, calls: [["update_object", { name: "Cube", location: [1, 2, 3] }]] },
  { text: "move the sphere to the origin", scene: true, calls: [["update_object", { name: "Sphere", location: [0, 0, 0] }]] },
  { text: "move the cube by 1, 0, 0", scene: true, calls: [["update_object", { name: "Cube", translate: [1, 0, 0] }]] },
  { text: "move the sphere above the cube", scene: true, calls: [["update_object", { name: "Sphere", location: [0, 0, 2.5] }]] },
  { text: "put the cone on the cube", scene: true, calls: [["update_object", { name: "Cone", location: [0, 0, 2] }]] },
  { text: "move the cube to the left of the sphere", scene: true, calls: [["update_object", { name: "Cube", location: [0, 0, 0] }]] },
  { text: "move the sphere in front of the cube", scene: true, calls: [["update_object", { name: "Sphere", location: [0, -3, 0] }]] },
  { text: "put the sphere behind the box", scene: true, calls: [["update_object", { name: "Sphere", location: [0, 8, 0] }]] },
  { text: "move the cone next to the sphere", scene: true, calls: [["update_object", { name: "Cone", location: [6, 0, 0] }]] },
  {
    text: "move all cubes up by 1",
    scene: true,
    calls: [
      ["update_object", { name: "Cube", translate: [0, 0, 1] }],
      ["update_object", { name: "Box", translate: [0, 0, 1] }],
    ],
  },
  { text: "rotate the cone 45 degrees", scene: true, calls: [["update_object", { name: "Cone", rotation: [0, 0, 75] }]] },
  { text: "rotate the cube 90 degrees around x", scene: true, calls: [["update_object", { name: "Cube", rotation: [90, 0, 0] }]] },
  {
    text: "rotate the sphere by 30 degrees on the y axis",
    scene: true,
    calls: [["update_object", { name: "Sphere", rotation: [0, 30, 0] }]],
  },
  { text: "turn the cube 45 degrees", scene: true, calls: [["update_object", { name: "Cube", rotation: [0, 0, 45] }]] },
  { text: "spin the box 180°", scene: true, calls: [["update_object", { name: "Box", rotation: [0, 0, 180] }]] },
  { text: "tilt the cube", scene: true, calls: [["update_object", { name: "Cube", rotation: [30, 0, 0] }]] },
  { text: "flip the cone upside down", scene: true, calls: [["update_object", { name: "Cone", rotation: [180, 0, 30] }]] },
  { text: "rotate the cube 45 degrees clockwise", scene: true, calls: [["update_object", { name: "Cube", rotation: [0, 0, -45] }]] },
  { text: "set the rotation of the cube to 0, 0, 90", scene: true, calls: [["update_object", { name: "Cube", rotation: [0, 0, 90] }]] },
  { text: "make the cube twice as big", scene: true, calls: [["update_object", { name: "Cube", scale: 2 }]] },
  { text: "make the sphere bigger", scene: true, calls: [["update_object", { name: "Sphere", scale: 1.5 }]] },
  { text: "make the cone smaller", scene: true, calls: [["update_object", { name: "Cone", scale: 0.667 }]] },
  { text: "make the box half the size", scene: true, calls: [["update_object", { name: "Box", scale: 1 }]] },
  { text: "make the cube 3 times bigger", scene: true, calls: [["update_object", { name: "Cube", scale: 3 }]] },
  { text: "scale the cube by 3", scene: true, calls: [["update_object", { name: "Cube", scale: 3 }]] },
  { text: "scale the sphere to 0.5", scene: true, calls: [["update_object", { name: "Sphere", scale: 0.5 }]] },
  { text: "resize the cone to 2", scene: true, calls: [["update_object", { name: "Cone", scale: 2 }]] },
  { text: "make the cube taller", scene: true, calls: [["update_object", { name: "Cube", scale: [1, 1, 1.5] }]] },
  { text: "make the cube big", scene: true, calls: [["update_object", { name: "Cube", scale: 2 }]] },
  { text: "double the size of the sphere", scene: true, calls: [["update_object", { name: "Sphere", scale: 2 }]] },
  { text: "shrink the box", scene: true, calls: [["update_object", { name: "Box", scale: 1.333 }]] },
  { text: "delete the plane", scene: true, calls: [["delete_object", { name: "Floor" }]] },
  { text: "delete the floor", scene: true, calls: [["delete_object", { name: "Floor" }]] },
  { text: "remove the sphere", scene: true, calls: [["delete_object", { name: "Sphere" }]] },
  {
    text: "delete the cube and the cone",
    scene: true,
    calls: [
      ["delete_object", { name: "Cube" }],
      ["delete_object", { name: "Cone" }],
    ],
  },
  {
    text: "delete all cubes",
    scene: true,
    calls: [
      ["delete_object", { name: "Cube" }],
      ["delete_object", { name: "Box" }],
    ],
  },
  { text: "delete everything", scene: false, calls: [["clear_scene", {}]] },
  { text: "get rid of the box", scene: true, calls: [["delete_object", { name: "Box" }]] },
  { text: "delete the light", scene: true, calls: [["delete_object", { name: "Light" }]] },
  { text: "rename the cube to Box2", scene: true, calls: [["update_object", { name: "Cube", newName: "Box2" }]] },
  { text: 'rename the sphere to "My Ball"', scene: true, calls: [["update_object", { name: "Sphere", newName: "My Ball" }]] },
  { text: "call the cone Hat", scene: true, calls: [["update_object", { name: "Cone", newName: "Hat" }]] },
  { text: "rename the cube to Box", scene: true, refusal: "There is already an object named Box; pick another" },
  { text: "duplicate the cube", scene: true, calls: [["duplicate_object", { name: "Cube", newName: "Cube.001", offset: [3, 0, 0] }]] },
  {
    text: "copy the sphere twice",
    scene: true,
    calls: [
      ["duplicate_object", { name: "Sphere", newName: "Sphere.001", offset: [3, 0, 0] }],
      ["duplicate_object", { name: "Sphere", newName: "Sphere.002", offset: [6, 0, 0] }],
    ],
  },
  {
    text: "duplicate the cone to the left",
    scene: true,
    calls: [["duplicate_object", { name: "Cone", newName: "Cone.001", offset: [-3, 0, 0] }]],
  },
  { text: "clone the box above", scene: true, calls: [["duplicate_object", { name: "Box", newName: "Box.001", offset: [0, 0, 4] }]] },
  { text: "move Box up by 2", scene: true, calls: [["update_object", { name: "Box", translate: [0, 0, 2] }]] },
  { text: "delete Cone", scene: true, calls: [["delete_object", { name: "Cone" }]] },
  { text: "add a sun", scene: false, calls: [["add_light", { type: "sun", name: "Sun" }]] },
  { text: "add a sunlight", scene: false, calls: [["add_light", { type: "sun", name: "Sun" }]] },
  { text: "add a point light", scene: false, calls: [["add_light", { type: "point", name: "Point Light" }]] },
  {
    text: "add a blue point light at 2, 2, 4",
    scene: false,
    calls: [["add_light", { type: "point", color: "blue", location: [2, 2, 4], name: "Point Light" }]],
  },
  {
    text: "add a spot light above the cube",
    scene: true,
    calls: [["add_light", { type: "spot", location: [0, 0, 4], target: [0, 0, 0], name: "Spot Light" }]],
  },
  { text: "add an area light", scene: false, calls: [["add_light", { type: "area", name: "Area Light" }]] },
  {
    text: "add a bright red light",
    scene: false,
    calls: [["add_light", { type: "point", color: "red", energy: 2000, name: "Point Light" }]],
  },
  { text: "add a dim sun", scene: false, calls: [["add_light", { type: "sun", energy: 1, name: "Sun" }]] },
  {
    text: "add a 500 W point light at 0, 0, 5",
    scene: false,
    calls: [["add_light", { type: "point", energy: 500, location: [0, 0, 5], name: "Point Light" }]],
  },
  {
    text: "add two point lights",
    scene: false,
    calls: [
      ["add_light", { type: "point", location: [4, -4, 5], name: "Point Light" }],
      ["add_light", { type: "point", location: [-4, 4, 5], name: "Point Light.001" }],
    ],
  },
  {
    text: "add a spotlight pointing at the sphere",
    scene: true,
    calls: [["add_light", { type: "spot", target: [3, 0, 0], name: "Spot Light" }]],
  },
  { text: "make the light red", scene: true, calls: [["update_object", { name: "Light", color: "red" }]] },
  { text: "look from above", scene: false, calls: [["set_camera", { location: [0, -0.599, 11.985], target: [0, 0, 0] }]] },
  { text: "view from the front", scene: false, calls: [["set_camera", { location: [0, -11.867, 1.78], target: [0, 0, 0] }]] },
  { text: "look from the left side", scene: false, calls: [["set_camera", { location: [-11.867, 0, 1.78], target: [0, 0, 0] }]] },
  { text: "camera at 0,-10,3", scene: false, calls: [["set_camera", { location: [0, -10, 3] }]] },
  { text: "move the camera to 5, -5, 3", scene: false, calls: [["set_camera", { location: [5, -5, 3] }]] },
  { text: "point the camera at the sphere", scene: true, calls: [["set_camera", { target: [3, 0, 0] }]] },
  { text: "look at the cube", scene: true, calls: [["set_camera", { target: [0, 0, 0] }]] },
  { text: "zoom in", scene: true, calls: [["set_camera", { lens: 75 }]] },
  { text: "zoom out", scene: true, calls: [["set_camera", { lens: 33.333 }]] },
  { text: "set the camera lens to 35mm", scene: false, calls: [["set_camera", { lens: 35 }]] },
  { text: "use a wide angle lens for the camera", scene: false, calls: [["set_camera", { lens: 24 }]] },
  { text: "top view", scene: false, calls: [["set_camera", { location: [0, -0.599, 11.985], target: [0, 0, 0] }]] },
  { text: "isometric view", scene: false, calls: [["set_camera", { location: [7.385, -7.385, 5.908], target: [0, 0, 0] }]] },
  { text: "make the background black", scene: false, calls: [["set_world", { color: "black" }]] },
  { text: "set the background to #202030", scene: false, calls: [["set_world", { color: "#202030" }]] },
  { text: "sky blue background", scene: false, calls: [["set_world", { color: "sky blue" }]] },
  { text: "make the background dark", scene: false, calls: [["set_world", { color: "#1a1a1a" }]] },
  { text: "set the world strength to 0.5", scene: false, calls: [["set_world", { strength: 0.5 }]] },
  { text: "render", scene: false, calls: [["render_frame", {}]] },
  { text: "render the scene", scene: false, calls: [["render_frame", {}]] },
  { text: "render it", scene: false, calls: [["render_frame", {}]] },
  { text: "render in cycles", scene: false, calls: [["render_frame", { engine: "cycles" }]] },
  { text: "render with eevee at 1920x1080", scene: false, calls: [["render_frame", { engine: "eevee", width: 1920, height: 1080 }]] },
  {
    text: "render in cycles at 1920x1080 with 128 samples",
    scene: false,
    calls: [["render_frame", { engine: "cycles", width: 1920, height: 1080, samples: 128 }]],
  },
  { text: "render in 4k", scene: false, calls: [["render_frame", { width: 3840, height: 2160 }]] },
  { text: "render at 1280 x 720 with 16 samples", scene: false, calls: [["render_frame", { width: 1280, height: 720, samples: 16 }]] },
  { text: "render a quick preview", scene: false, calls: [["render_frame", { engine: "workbench" }]] },
  { text: "render in high quality", scene: false, calls: [["render_frame", { samples: 256, engine: "cycles" }]] },
  { text: "render with workbench", scene: false, calls: [["render_frame", { engine: "workbench" }]] },
  { text: "take a picture", scene: false, calls: [["render_frame", {}]] },
  { text: "show me the scene", scene: false, calls: [["render_frame", {}]] },
  { text: "export as glb", scene: false, calls: [["export_glb", {}]] },
  { text: "export the scene as gltf", scene: false, calls: [["export_scene", { format: "gltf" }]] },
  { text: "export to obj", scene: false, calls: [["export_scene", { format: "obj" }]] },
  { text: "export an stl", scene: false, calls: [["export_scene", { format: "stl" }]] },
  { text: "export as fbx", scene: false, calls: [["export_scene", { format: "fbx" }]] },
  { text: "save as .blend", scene: false, calls: [["export_scene", { format: "blend" }]] },
  {
    text: "export as glb and obj",
    scene: false,
    calls: [
      ["export_glb", {}],
      ["export_scene", { format: "obj" }],
    ],
  },
  { text: "download the model", scene: false, calls: [["export_glb", {}]] },
  { text: "export", scene: false, calls: [["export_glb", {}]] },
  { text: "save the scene", scene: false, calls: [["export_scene", { format: "blend" }]] },
  { text: "export as pdf", scene: false, refusal: "I cannot export as pdf: the formats are glb, gltf," },
  { text: "render at 99999x10", scene: false, refusal: "A render's width must be between 16 and 8192 pixel" },
  { text: "render with 99999 samples", scene: false, refusal: "Samples must be between 1 and 4096 (asked for 9999" },
  { text: "what can you do?", scene: false, notes: "I can:" },
  { text: "help", scene: false, notes: "I can:" },
  { text: "hello", scene: false, notes: "Hello! Tell me what to build, " },
  { text: "thanks", scene: false, notes: "You're welcome." },
  { text: "what's in the scene?", scene: true, notes: "The scene has 5 objects:" },
  { text: "describe the scene", scene: true, notes: "The scene has 5 objects:" },
  { text: "list the objects", scene: true, notes: "The scene has 5 objects:" },
  { text: "clear the scene", scene: false, calls: [["clear_scene", {}]] },
  { text: "reset the scene", scene: false, calls: [["clear_scene", { resetAll: true }]] },
  { text: "start over", scene: false, calls: [["clear_scene", { resetAll: true }]] },
  { text: "fly me to the moon", scene: false, refusal: 'I could not read "fly me to the moon", so I did no' },
  { text: "make the cube happy", scene: true, refusal: 'I do not know what "happy" means for the cube.' },
  { text: "delete the dragon", scene: true, refusal: "What should I delete? The scene has: Cube (cube), " },
  {
    text: "add a red cube and render the scene",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", color: "red", location: [0, 0, 0] }],
      ["render_frame", {}],
    ],
  },
  {
    text: "add a cube, make it red and render",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }],
      ["update_object", { name: "Cube", color: "red" }],
      ["render_frame", {}],
    ],
  },
  {
    text: "add a sphere. make it blue. then render at 800x600",
    scene: false,
    calls: [
      ["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 0] }],
      ["update_object", { name: "Sphere", color: "blue" }],
      ["render_frame", { width: 800, height: 600 }],
    ],
  },
  {
    text: "make the cube blue and move it up by 2",
    scene: true,
    calls: [
      ["update_object", { name: "Cube", color: "blue" }],
      ["update_object", { name: "Cube", translate: [0, 0, 2] }],
    ],
  },
  {
    text: "add a floor, add a red cube on the floor and look from above",
    scene: false,
    calls: [
      ["add_object", { type: "plane", name: "Floor", location: [0, 0, -1], scale: 10 }],
      ["add_object", { type: "cube", name: "Cube", color: "red", location: [0, 0, 0] }],
      ["set_camera", { location: [0, -0.599, 11.985], target: [0, 0, 0] }],
    ],
  },
  {
    text: "make the background black, add a sun and render in cycles",
    scene: false,
    calls: [
      ["set_world", { color: "black" }],
      ["add_light", { type: "sun", name: "Sun" }],
      ["render_frame", { engine: "cycles" }],
    ],
  },
  {
    text: "add three blue spheres in a row and export as glb",
    scene: false,
    calls: [
      ["add_object", { type: "uv_sphere", name: "Sphere", color: "blue", location: [-3, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere.001", color: "blue", location: [0, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere.002", color: "blue", location: [3, 0, 0] }],
      ["export_glb", {}],
    ],
  },
  { text: "add a cube and fly to the moon", scene: false, refusal: 'I could not read "fly to the moon". I did nothing.' },
  {
    text: "create a scene with a red cube and a blue sphere",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", color: "red", location: [0, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere", color: "blue", location: [3, 0, 0] }],
    ],
  },
  {
    text: "put a red ball on the floor",
    scene: true,
    calls: [["add_object", { type: "uv_sphere", name: "Sphere.001", color: "red", location: [6, 0, 0] }]],
  },
  { text: "make the spheres red", scene: true, calls: [["update_object", { name: "Sphere", color: "red" }]] },
  { text: "place a cylinder at 0,0,2", scene: false, calls: [["add_object", { type: "cylinder", name: "Cylinder", location: [0, 0, 2] }]] },
  {
    text: "add a blue cube to the right of the sphere",
    scene: true,
    calls: [["add_object", { type: "cube", name: "Cube.001", color: "blue", location: [6, 0, 0] }]],
  },
  { text: "move the cube 2 units to the left", scene: true, calls: [["update_object", { name: "Cube", translate: [-2, 0, 0] }]] },
  { text: "set the render resolution to 1920x1080", scene: false, calls: [["render_frame", { width: 1920, height: 1080 }]] },
  { text: "change the background to white", scene: false, calls: [["set_world", { color: "white" }]] },
  { text: "add a light above the cube", scene: true, calls: [["add_light", { type: "point", location: [0, 0, 4], name: "Point Light" }]] },
  {
    text: "color everything red",
    scene: true,
    calls: [
      ["update_object", { name: "Cube", color: "red" }],
      ["update_object", { name: "Sphere", color: "red" }],
      ["update_object", { name: "Cone", color: "red" }],
      ["update_object", { name: "Floor", color: "red" }],
      ["update_object", { name: "Box", color: "red" }],
    ],
  },
  { text: "undo", scene: false, refusal: 'I could not read "undo", so I did nothing.' },
  { text: "show me a picture", scene: false, calls: [["render_frame", {}]] },
  {
    text: "add a red cube named Box2 at 1, 1, 0",
    scene: false,
    calls: [["add_object", { type: "cube", name: "Box2", color: "red", location: [1, 1, 0] }]],
  },
  { text: "give the cube a metallic finish", scene: true, calls: [["set_material", { name: "Cube", metallic: 1, roughness: 0.25 }]] },
  { text: "make the sphere 50% transparent", scene: true, calls: [["set_material", { name: "Sphere", roughness: 0.05, alpha: 0.5 }]] },
  { text: "move the camera closer", scene: true, calls: [["set_camera", { lens: 75 }]] },
  { text: "make the cube 2 meters tall", scene: true, calls: [["update_object", { name: "Cube", scale: 1 }]] },
  {
    text: "Add a red cube and render the scene.",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", color: "red", location: [0, 0, 0] }],
      ["render_frame", {}],
    ],
  },
  {
    text: "add a cube then a sphere",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere", location: [3, 0, 0] }],
    ],
  },
  {
    text: "I'd like a green torus please",
    scene: false,
    calls: [["add_object", { type: "torus", name: "Torus", color: "green", location: [0, 0, 0] }]],
  },
  {
    text: "draw a yellow circle",
    scene: false,
    calls: [["add_object", { type: "circle", name: "Circle", color: "yellow", location: [0, 0, 0] }]],
  },
  {
    text: "add some cubes",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", location: [-3, 0, 0] }],
      ["add_object", { type: "cube", name: "Cube.001", location: [0, 0, 0] }],
      ["add_object", { type: "cube", name: "Cube.002", location: [3, 0, 0] }],
    ],
  },
  { text: "remove the red cube", scene: true, calls: [["delete_object", { name: "Cube" }]] },
  { text: "make the big cube small", scene: true, calls: [["update_object", { name: "Box", scale: 0.5 }]] },
  { text: "set the cube color to #00ff00", scene: true, calls: [["update_object", { name: "Cube", color: "#00ff00" }]] },
  { text: "put the cube at 0 0 3", scene: true, calls: [["update_object", { name: "Cube", location: [0, 0, 3] }]] },
  {
    text: "render it in cycles with 64 samples at 800x600",
    scene: false,
    calls: [["render_frame", { engine: "cycles", width: 800, height: 600, samples: 64 }]],
  },
  {
    text: "add a huge gold metallic sphere above the box",
    scene: true,
    calls: [
      ["add_object", { type: "uv_sphere", name: "Sphere.001", color: "gold", location: [0, 4, 5.5], scale: 3 }],
      ["set_material", { name: "Sphere.001", metallic: 1, roughness: 0.25 }],
    ],
  },
  {
    text: "make all cubes red",
    scene: true,
    calls: [
      ["update_object", { name: "Cube", color: "red" }],
      ["update_object", { name: "Box", color: "red" }],
    ],
  },
  {
    text: "make all red",
    scene: true,
    calls: [
      ["update_object", { name: "Cube", color: "red" }],
      ["update_object", { name: "Sphere", color: "red" }],
      ["update_object", { name: "Cone", color: "red" }],
      ["update_object", { name: "Floor", color: "red" }],
      ["update_object", { name: "Box", color: "red" }],
    ],
  },
  {
    text: "move everything up by 1",
    scene: true,
    calls: [
      ["update_object", { name: "Cube", translate: [0, 0, 1] }],
      ["update_object", { name: "Sphere", translate: [0, 0, 1] }],
      ["update_object", { name: "Cone", translate: [0, 0, 1] }],
      ["update_object", { name: "Floor", translate: [0, 0, 1] }],
      ["update_object", { name: "Box", translate: [0, 0, 1] }],
    ],
  },
  { text: "clear all", scene: false, calls: [["clear_scene", {}]] },
  {
    text: "add a cube with a sphere on top",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 2] }],
    ],
  },
  {
    text: "render the scene from above",
    scene: false,
    calls: [
      ["set_camera", { location: [0, -0.599, 11.985], target: [0, 0, 0] }],
      ["render_frame", {}],
    ],
  },
  {
    text: "show me the scene from the front at 1920x1080",
    scene: false,
    calls: [
      ["set_camera", { location: [0, -11.867, 1.78], target: [0, 0, 0] }],
      ["render_frame", { width: 1920, height: 1080 }],
    ],
  },
  {
    text: "add a red cube and a sphere above",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", color: "red", location: [0, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 2.5] }],
    ],
  },
  {
    text: "add a cube with a metallic finish",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }],
      ["set_material", { name: "Cube", metallic: 1, roughness: 0.25 }],
    ],
  },
  {
    text: "render from the left in cycles",
    scene: false,
    calls: [
      ["set_camera", { location: [-11.867, 0, 1.78], target: [0, 0, 0] }],
      ["render_frame", { engine: "cycles" }],
    ],
  },
  { text: "move the sphere next to Box", scene: true, calls: [["update_object", { name: "Sphere", location: [4, 4, 0] }]] },
  { text: "put the cone on Box", scene: true, calls: [["update_object", { name: "Cone", location: [0, 4, 3] }]] },
  { text: "rename Box to Crate", scene: true, calls: [["update_object", { name: "Box", newName: "Crate" }]] },
  {
    text: "add a cube named Base and a sphere on top of Base",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Base", location: [0, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 2] }],
    ],
  },
  {
    text: "add a cube named Base. put a sphere on Base",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Base", location: [0, 0, 0] }],
      ["add_object", { type: "uv_sphere", name: "Sphere", location: [0, 0, 2] }],
    ],
  },
  {
    text: "add three red cubes and make them metallic",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", color: "red", location: [-3, 0, 0] }],
      ["add_object", { type: "cube", name: "Cube.001", color: "red", location: [0, 0, 0] }],
      ["add_object", { type: "cube", name: "Cube.002", color: "red", location: [3, 0, 0] }],
      ["set_material", { name: "Cube", metallic: 1, roughness: 0.25 }],
      ["set_material", { name: "Cube.001", metallic: 1, roughness: 0.25 }],
      ["set_material", { name: "Cube.002", metallic: 1, roughness: 0.25 }],
    ],
  },
  {
    text: "add a torus and rotate it 90 degrees around x",
    scene: false,
    calls: [
      ["add_object", { type: "torus", name: "Torus", location: [0, 0, 0] }],
      ["update_object", { name: "Torus", rotation: [90, 0, 0] }],
    ],
  },
  {
    text: "add a cone, move it up by 3 and render",
    scene: false,
    calls: [
      ["add_object", { type: "cone", name: "Cone", location: [0, 0, 0] }],
      ["update_object", { name: "Cone", translate: [0, 0, 3] }],
      ["render_frame", {}],
    ],
  },
  { text: "add a cube at 0, 0, 0 named Base", scene: false, calls: [["add_object", { type: "cube", name: "Base", location: [0, 0, 0] }]] },
  { text: "zoom in on the cube", scene: true, calls: [["set_camera", { lens: 75, target: [0, 0, 0] }]] },
  { text: "focus on the sphere", scene: true, calls: [["set_camera", { target: [3, 0, 0] }]] },
  { text: "look at Box from the front", scene: true, calls: [["set_camera", { location: [0, -18.464, 3.37], target: [0, 4, 0] }]] },
  // Numbers bind to the noun they count; "half" and "a bit" bind to the property they modify.
  {
    text: "stack two cubes",
    scene: false,
    calls: [
      ["add_object", { type: "cube", name: "Cube", location: [0, 0, 0] }],
      ["add_object", { type: "cube", name: "Cube.001", location: [0, 0, 2] }],
    ],
  },
  { text: "make the cube half transparent", scene: true, calls: [["set_material", { name: "Cube", roughness: 0.05, alpha: 0.5 }]] },
  { text: "make the sphere slightly transparent", scene: true, calls: [["set_material", { name: "Sphere", roughness: 0.05, alpha: 0.8 }]] },
  { text: "make the cube half as big", scene: true, calls: [["update_object", { name: "Cube", scale: 0.5 }]] },
  { text: "make the cube a bit bigger", scene: true, calls: [["update_object", { name: "Cube", scale: 1.2 }]] },
  {
    text: "make the cube wooden",
    scene: true,
    calls: [["set_material", { name: "Cube", color: "#8b5a2b", metallic: 0, roughness: 0.8 }]],
  },
  {
    text: "add a tall cylinder",
    scene: false,
    calls: [["add_object", { type: "cylinder", name: "Cylinder", location: [0, 0, 0], scale: [1, 1, 1.5] }]],
  },
  // A word no vocabulary reads is asked about, never skipped.
  { text: "add a fancy cube", scene: false, refusal: 'I do not know what "fancy" means for the cube.' },
  { text: "make the cube sparkly", scene: true, refusal: 'I do not know what "sparkly" means for the cube.' },
];

function planTwice(text: string): { first: PlanResult; final: PlanResult } {
  const first = planInstructions(text);
  const final = first.kind === "needs-scene" ? planInstructions(text, { scene: TABLE_SCENE }) : first;
  return { first, final };
}

describe("offline planner table", () => {
  it.each(CASES)("$text", (entry) => {
    const { first, final } = planTwice(entry.text);
    expect(first.kind === "needs-scene", "asks for the scene first").toBe(entry.scene);
    if ("calls" in entry) {
      expect(final.kind).toBe("plan");
      if (final.kind !== "plan") return;
      expect(final.calls.map((call) => [call.name, call.arguments])).toEqual(entry.calls);
      for (const call of final.calls) {
        const contract = findToolContract(call.name);
        expect(contract, call.name).toBeDefined();
        const parsed = contract!.inputSchema.safeParse(call.arguments);
        expect(parsed.success, `${call.name} ${JSON.stringify(call.arguments)}: ${parsed.error?.message}`).toBe(true);
        expect(call.summary.length).toBeGreaterThan(0);
      }
    } else if ("refusal" in entry) {
      expect(final.kind).toBe("refusal");
      if (final.kind === "refusal") {
        expect(final.text).toContain(entry.refusal);
        expect(final.text).toContain("I did nothing");
      }
    } else {
      expect(final.kind).toBe("plan");
      if (final.kind === "plan") {
        expect(final.calls).toEqual([]);
        expect(final.notes.join("\n")).toContain(entry.notes);
      }
    }
  });

  it("has a broad table", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(200);
  });
});

describe("offline planner behaviour", () => {
  it("is deterministic", () => {
    for (const entry of CASES.slice(0, 40)) expect(planTwice(entry.text)).toEqual(planTwice(entry.text));
  });

  it("lists what it can do when it cannot read a message, and plans nothing", () => {
    const result = planInstructions("fly me to the moon");
    expect(result).toEqual({ kind: "refusal", text: expect.stringContaining(capabilitiesText()) });
    const partly = planInstructions("add a red cube and fly to the moon");
    expect(partly.kind).toBe("refusal");
  });

  it("names new objects uniquely against the scene as last seen, without asking for it", () => {
    const result = planInstructions("add a cube and two spheres", { lastSeenScene: TABLE_SCENE });
    expect(result.kind).toBe("plan");
    if (result.kind !== "plan") return;
    expect(result.calls.map((call) => call.arguments.name)).toEqual(["Cube.001", "Sphere.001", "Sphere.002"]);
    // Beside what is there, not on top of it: the scene's right edge is the floor-less x = 4.
    expect((result.calls[0]!.arguments.location as number[])[0]).toBeGreaterThan(4);
  });

  it("asks for the scene when the previous turn's object is meant by 'it'", () => {
    expect(planInstructions("make it red", { focus: ["Sphere"] }).kind).toBe("needs-scene");
    const result = planInstructions("make it red", { focus: ["Sphere"], scene: TABLE_SCENE });
    expect(result.kind === "plan" && result.calls.map((call) => call.arguments)).toEqual([{ name: "Sphere", color: "red" }]);
  });

  it("says which object is missing, with what the scene has", () => {
    const result = planInstructions("delete the torus", { scene: TABLE_SCENE });
    expect(result.kind).toBe("refusal");
    expect(result.kind === "refusal" && result.text).toMatch(/no torus.*Cube \(cube\)/s);
  });

  it("refuses a new name that is taken and a count beyond the limit", () => {
    expect(planInstructions("add a cube named Box", { scene: TABLE_SCENE }).kind).toBe("refusal");
    expect(planInstructions("add 500 cubes").kind).toBe("refusal");
  });

  it("keeps quoted text verbatim, case and punctuation included", () => {
    const result = planInstructions('add text "Hello, World. Render it!" and render');
    expect(result.kind === "plan" && result.calls.map((call) => call.name)).toEqual(["add_object", "render_frame"]);
    expect(result.kind === "plan" && result.calls[0]!.arguments.text).toBe("Hello, World. Render it!");
  });
});
