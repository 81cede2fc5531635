// The offline planner's instruction table against real Blender: each instruction (or short
// sequence) runs through the agent on one `bod worker`, and the scene get_scene reports afterwards
// is checked. A wrong action fails the test; refusals are counted and reported (the aim is < 5%).
import { findToolContract, parseColorToSrgb } from "@bod/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startWorkerProcess, type WorkerProcess } from "../../worker/test/support/worker-process.ts";
import { type Agent, createAgent } from "../src/agent.ts";
import { createPlannerReasoner } from "../src/planner/planner-reasoner.ts";
import type { Scene } from "../src/scene.ts";
import { createMemoryAgentStore } from "../src/testing/memory-agent-store.ts";
import { createMcpToolClient, type McpToolClient } from "../src/tool-client.ts";

type SceneObject = Scene["objects"][number];

/** What a check can ask of the scene after the instruction. */
class View {
  readonly scene: Scene;
  constructor(scene: Scene) {
    this.scene = scene;
  }
  get(name: string): SceneObject {
    const found = this.scene.objects.find((entry) => entry.name === name);
    if (!found) throw new Error(`no ${name} in ${this.scene.objects.map((entry) => entry.name).join(", ")}`);
    return found;
  }
  has(name: string): boolean {
    return this.scene.objects.some((entry) => entry.name === name) || this.scene.lights.some((entry) => entry.name === name);
  }
  /** Objects whose name is `base` or `base.NNN`. */
  named(base: string): SceneObject[] {
    return this.scene.objects.filter((entry) => entry.name === base || entry.name.startsWith(`${base}.`));
  }
  /** The parts of a group (its children). */
  parts(group: string): SceneObject[] {
    return this.scene.objects.filter((entry) => entry.parent === group);
  }
  at(object: SceneObject): number[] {
    return (object.worldLocation as number[] | undefined) ?? object.location;
  }
  bottom(object: SceneObject): number {
    return this.at(object)[2]! - object.dimensions[2]! / 2;
  }
  top(object: SceneObject): number {
    return this.at(object)[2]! + object.dimensions[2]! / 2;
  }
  /** The highest top among objects (a group's parts). */
  topOf(objects: SceneObject[]): number {
    return Math.max(...objects.map((object) => this.top(object)));
  }
  bottomOf(objects: SceneObject[]): number {
    return Math.min(...objects.map((object) => this.bottom(object)));
  }
}

function near(hex: string | undefined, color: string, tolerance = 0.08): boolean {
  const a = parseColorToSrgb(hex ?? "");
  const b = parseColorToSrgb(color);
  if (!a || !b) return false;
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) < tolerance;
}

function close(actual: number | undefined, expected: number, tolerance = 0.02): boolean {
  return actual !== undefined && Math.abs(actual - expected) <= tolerance;
}

/** `a` rests on `b`: a's bottom is b's top, and they overlap seen from above. */
function restsOn(view: View, a: SceneObject | SceneObject[], b: SceneObject | SceneObject[]): boolean {
  const above = Array.isArray(a) ? a : [a];
  const below = Array.isArray(b) ? b : [b];
  const center = (objects: SceneObject[], axis: number) =>
    objects.reduce((sum, object) => sum + view.at(object)[axis]!, 0) / objects.length;
  return (
    close(view.bottomOf(above), view.topOf(below), 0.03) &&
    Math.abs(center(above, 0) - center(below, 0)) < 1.5 &&
    Math.abs(center(above, 1) - center(below, 1)) < 1.5
  );
}

interface TableCase {
  /** One instruction, or a short sequence of turns. */
  say: string | string[];
  /** "shapes": a floor at z -1 (top), a red Cube at the origin, a green Sphere at x 3, a blue Cone at x -3. */
  on?: "empty" | "shapes";
  /** Only where the tool it needs is in the contracts. */
  needs?: string;
  /** True when the check passes; throwing counts as failing. */
  check: (view: View) => boolean;
}

const CASES: TableCase[] = [
  // Adding primitives.
  { say: "add a cube", check: (v) => v.get("Cube").type === "MESH" },
  { say: "add a red cube", check: (v) => near(v.get("Cube").material?.baseColor, "red") },
  { say: "add a big blue sphere", check: (v) => close(v.get("Sphere").scale[0], 2) && near(v.get("Sphere").material?.baseColor, "blue") },
  { say: "add a small green cone", check: (v) => close(v.get("Cone").scale[0], 0.5) && near(v.get("Cone").material?.baseColor, "green") },
  { say: "add a tall cylinder", check: (v) => close(v.get("Cylinder").dimensions[2], 3) && close(v.get("Cylinder").dimensions[0], 2) },
  { say: "add a wide cube", check: (v) => close(v.get("Cube").dimensions[0], 3) && close(v.get("Cube").dimensions[2], 2) },
  { say: "add a flat cylinder", check: (v) => close(v.get("Cylinder").dimensions[2], 0.5) },
  { say: "add a torus", check: (v) => v.named("Torus").length === 1 },
  { say: "add a donut", check: (v) => v.named("Torus").length === 1 },
  { say: "add a monkey", check: (v) => v.named("Suzanne").length === 1 },
  { say: 'add text "Hello"', check: (v) => v.get("Text").type === "FONT" },
  { say: "add a floor", check: (v) => close(v.get("Floor").scale[0], 10) },
  { say: "add an icosphere", check: (v) => v.named("Icosphere").length === 1 },
  { say: "add a plane", check: (v) => v.named("Plane").length === 1 },
  { say: "add a circle", check: (v) => v.named("Circle").length === 1 },
  { say: "add a ball", check: (v) => v.named("Sphere").length === 1 },
  { say: "add a box", check: (v) => v.named("Cube").length === 1 },
  { say: "add a tiny cube", check: (v) => close(v.get("Cube").scale[0], 0.25) },
  { say: "add a huge sphere", check: (v) => close(v.get("Sphere").scale[0], 3) },
  { say: "add a dark green cube", check: (v) => near(v.get("Cube").material?.baseColor, "darkgreen") },
  { say: "add a #ff8800 cube", check: (v) => near(v.get("Cube").material?.baseColor, "#ff8800") },
  { say: "add a light blue sphere", check: (v) => near(v.get("Sphere").material?.baseColor, "lightblue") },
  { say: "add a cube at 1, 2, 3", check: (v) => v.get("Cube").location.join() === "1,2,3" },
  { say: "add a sphere at the origin", check: (v) => v.get("Sphere").location.join() === "0,0,0" },
  { say: "add a sphere named Ball", check: (v) => v.has("Ball") && v.named("Sphere").length === 0 },
  { say: "add a metallic sphere", check: (v) => close(v.get("Sphere").material?.metallic, 1) },
  { say: "add a glass sphere", check: (v) => (v.get("Sphere").material?.alpha ?? 1) < 0.6 },
  { say: "add a glowing orange cube", check: (v) => (v.get("Cube").material?.emissionStrength ?? 0) > 0 },
  {
    say: "add a matte white cube",
    check: (v) => close(v.get("Cube").material?.roughness, 0.9) && near(v.get("Cube").material?.baseColor, "white"),
  },
  {
    say: "add a wooden cube",
    check: (v) => close(v.get("Cube").material?.roughness, 0.8) && near(v.get("Cube").material?.baseColor, "#8b5a2b"),
  },
  { say: "add a half transparent cube", check: (v) => close(v.get("Cube").material?.alpha, 0.5) && close(v.get("Cube").scale[0], 1) },
  { say: "add a cube 3 meters tall", check: (v) => close(v.get("Cube").dimensions[2], 3) },
  { say: "add a sphere 4 m wide", check: (v) => close(v.get("Sphere").dimensions[0], 4) },
  { say: "add a 3 m tall cylinder", check: (v) => close(v.get("Cylinder").dimensions[2], 3) },
  { say: "add a sphere with radius 2", check: (v) => close(v.get("Sphere").dimensions[0], 4) },
  {
    say: "add a cylinder 4 m high and 1 m wide",
    check: (v) => close(v.get("Cylinder").dimensions[2], 4) && close(v.get("Cylinder").dimensions[0], 1),
  },
  { say: "add a sphere 50 cm wide", check: (v) => close(v.get("Sphere").dimensions[0], 0.5) },
  { say: "add a cube and a sphere", check: (v) => v.named("Cube").length === 1 && v.named("Sphere").length === 1 },
  { say: "add a cube, a cone and a torus", check: (v) => v.named("Cube").length + v.named("Cone").length + v.named("Torus").length === 3 },
  {
    say: "add two red cubes",
    check: (v) => v.named("Cube").length === 2 && v.named("Cube").every((cube) => near(cube.material?.baseColor, "red")),
  },
  {
    say: "add three spheres in a row",
    check: (v) => {
      const spheres = v.named("Sphere");
      return (
        spheres.length === 3 &&
        new Set(spheres.map((sphere) => sphere.location[0])).size === 3 &&
        new Set(spheres.map((sphere) => sphere.location[2])).size === 1
      );
    },
  },
  {
    say: "stack two cubes",
    check: (v) => {
      const cubes = v.named("Cube").sort((a, b) => a.location[2]! - b.location[2]!);
      return cubes.length === 2 && restsOn(v, cubes[1]!, cubes[0]!);
    },
  },
  {
    say: "stack three boxes",
    check: (v) => {
      const cubes = v.named("Cube").sort((a, b) => a.location[2]! - b.location[2]!);
      return cubes.length === 3 && restsOn(v, cubes[1]!, cubes[0]!) && restsOn(v, cubes[2]!, cubes[1]!);
    },
  },
  {
    say: "add two cubes on top of each other",
    check: (v) => {
      const cubes = v.named("Cube").sort((a, b) => a.location[2]! - b.location[2]!);
      return cubes.length === 2 && restsOn(v, cubes[1]!, cubes[0]!);
    },
  },
  {
    say: "four cylinders in a circle",
    check: (v) => {
      const cylinders = v.named("Cylinder");
      const cx = cylinders.reduce((sum, entry) => sum + entry.location[0]!, 0) / 4;
      const cy = cylinders.reduce((sum, entry) => sum + entry.location[1]!, 0) / 4;
      const radii = cylinders.map((entry) => Math.hypot(entry.location[0]! - cx, entry.location[1]! - cy));
      return cylinders.length === 4 && Math.max(...radii) - Math.min(...radii) < 0.01 && radii[0]! > 1;
    },
  },
  {
    say: "nine cubes in a grid",
    check: (v) => {
      const cubes = v.named("Cube");
      return (
        cubes.length === 9 &&
        new Set(cubes.map((cube) => cube.location[0])).size === 3 &&
        new Set(cubes.map((cube) => cube.location[1])).size === 3
      );
    },
  },
  {
    say: "add 5 cones in a row 3 m apart",
    check: (v) => {
      const xs = v
        .named("Cone")
        .map((cone) => cone.location[0]!)
        .sort((a, b) => a - b);
      return xs.length === 5 && xs.slice(1).every((x, index) => close(x - xs[index]!, 3));
    },
  },
  { say: "add a cone on top of a cube", check: (v) => restsOn(v, v.get("Cone"), v.get("Cube")) },
  {
    say: "add a red cube with a blue sphere on top",
    check: (v) => restsOn(v, v.get("Sphere"), v.get("Cube")) && near(v.get("Sphere").material?.baseColor, "blue"),
  },
  { say: "add a cube to the left", check: (v) => v.get("Cube").location[0]! < 0 },

  // Relations and edits on a scene with a floor, a red cube, a green sphere and a blue cone.
  { on: "shapes", say: "put the sphere on the cube", check: (v) => restsOn(v, v.get("Sphere"), v.get("Cube")) },
  { on: "shapes", say: "move the cone on top of the cube", check: (v) => restsOn(v, v.get("Cone"), v.get("Cube")) },
  { on: "shapes", say: "put the sphere on the floor", check: (v) => close(v.bottom(v.get("Sphere")), -1) },
  { on: "shapes", say: "add a cube on the floor", check: (v) => close(v.bottom(v.get("Cube.001")), -1) },
  { on: "shapes", say: "place a small cube on the sphere", check: (v) => restsOn(v, v.get("Cube.001"), v.get("Sphere")) },
  {
    on: "shapes",
    say: "move the sphere to the left of the cube",
    check: (v) => v.get("Sphere").location[0]! < -1 && close(v.get("Sphere").location[1], 0) && close(v.get("Sphere").location[2], 0),
  },
  {
    on: "shapes",
    say: "move the cone behind the cube",
    check: (v) => v.get("Cone").location[1]! > 1.5 && close(v.get("Cone").location[0], 0),
  },
  {
    on: "shapes",
    say: "move the sphere in front of the cube",
    check: (v) => v.get("Sphere").location[1]! < -1.5 && close(v.get("Sphere").location[0], 0),
  },
  { on: "shapes", say: "add a cube above the sphere", check: (v) => v.bottom(v.get("Cube.001")) > v.top(v.get("Sphere"))! },
  { on: "shapes", say: "add a torus below the cube", check: (v) => v.top(v.get("Torus")) < v.bottom(v.get("Cube")) },
  {
    on: "shapes",
    say: "add a cone next to the sphere",
    check: (v) => v.get("Cone.001").location[0]! > 4 && close(v.get("Cone.001").location[2], 0),
  },
  { on: "shapes", say: "add a cylinder 2 m to the left of the cone", check: (v) => close(v.get("Cylinder").location[0], -7) },
  {
    on: "shapes",
    say: "put a small sphere inside the cube",
    check: (v) => v.get("Sphere.001").location.join() === "0,0,0" && close(v.get("Sphere.001").scale[0], 0.5),
  },
  {
    on: "shapes",
    say: "put four spheres around the cube",
    check: (v) => {
      const added = v.named("Sphere").filter((sphere) => sphere.name !== "Sphere");
      const distances = added.map((sphere) => Math.hypot(sphere.location[0]!, sphere.location[1]!));
      return added.length === 4 && distances.every((distance) => distance > 2.4 && close(distance, distances[0]!));
    },
  },
  { on: "shapes", say: "center the sphere on the cube", check: (v) => restsOn(v, v.get("Sphere"), v.get("Cube")) },
  {
    on: "shapes",
    say: "add a red ball next to the cone",
    check: (v) => !overlapsAny(v, v.get("Sphere.001")) && close(v.get("Sphere.001").location[2], 0),
  },
  {
    on: "shapes",
    say: "move the cube next to the sphere",
    check: (v) => !overlapsAny(v, v.get("Cube")) && close(v.get("Cube").location[2], 0),
  },
  {
    say: "make a row of 4 blue cubes",
    check: (v) => v.named("Cube").length === 4 && v.named("Cube").every((cube) => near(cube.material?.baseColor, "blue")),
  },
  { say: "add a ring of 6 spheres", check: (v) => v.named("Sphere").length === 6 && v.named("Torus").length === 0 },
  { say: "make me a chair", check: (v) => v.parts("Chair").length === 6 },
  { on: "shapes", say: "move the cube up by 2", check: (v) => close(v.get("Cube").location[2], 2) },
  { on: "shapes", say: "move the sphere to 0, 0, 5", check: (v) => v.get("Sphere").location.join() === "0,0,5" },
  { on: "shapes", say: "move the cone left by 3", check: (v) => close(v.get("Cone").location[0], -6) },
  { on: "shapes", say: "move the sphere to the center", check: (v) => v.get("Sphere").location.join() === "0,0,0" },
  { on: "shapes", say: "raise the cube by 1.5", check: (v) => close(v.get("Cube").location[2], 1.5) },
  { on: "shapes", say: "rotate the cone 45 degrees", check: (v) => close(v.get("Cone").rotation[2], 45) },
  { on: "shapes", say: "rotate the cube 90 degrees around x", check: (v) => close(v.get("Cube").rotation[0], 90) },
  { on: "shapes", say: "turn the cone upside down", check: (v) => close(Math.abs(v.get("Cone").rotation[0]!), 180) },
  { on: "shapes", say: "make the cube twice as big", check: (v) => close(v.get("Cube").scale[0], 2) },
  { on: "shapes", say: "make the cube half as big", check: (v) => close(v.get("Cube").scale[0], 0.5) },
  {
    on: "shapes",
    say: "make the cube half transparent",
    check: (v) => close(v.get("Cube").material?.alpha, 0.5) && close(v.get("Cube").scale[0], 1),
  },
  {
    on: "shapes",
    say: "make the sphere slightly transparent",
    check: (v) => close(v.get("Sphere").material?.alpha, 0.8) && close(v.get("Sphere").scale[0], 1),
  },
  { on: "shapes", say: "make the sphere a bit bigger", check: (v) => close(v.get("Sphere").scale[0], 1.2) },
  { on: "shapes", say: "make the cube bigger", check: (v) => close(v.get("Cube").scale[0], 1.5) },
  { on: "shapes", say: "make the cube smaller", check: (v) => close(v.get("Cube").scale[0], 0.667) },
  { on: "shapes", say: "scale the sphere by 3", check: (v) => close(v.get("Sphere").scale[0], 3) },
  { on: "shapes", say: "make the sphere 3 m wide", check: (v) => close(v.get("Sphere").dimensions[0], 3) },
  {
    on: "shapes",
    say: "make the cone taller",
    check: (v) => close(v.get("Cone").dimensions[2], 3) && close(v.get("Cone").dimensions[0], 2),
  },
  {
    on: "shapes",
    say: "make the cube twice as tall",
    check: (v) => close(v.get("Cube").dimensions[2], 4) && close(v.get("Cube").dimensions[0], 2),
  },
  {
    on: "shapes",
    say: "make the cone three times as wide",
    check: (v) => close(v.get("Cone").dimensions[0], 6) && close(v.get("Cone").dimensions[2], 2),
  },
  { on: "shapes", say: "make the cube bigger by 50%", check: (v) => close(v.get("Cube").scale[0], 1.5) },
  { on: "shapes", say: "make the sphere 50% smaller", check: (v) => close(v.get("Sphere").scale[0], 0.5) },
  { on: "shapes", say: "move the cube a bit to the left", check: (v) => close(v.get("Cube").location[0], -0.5) },
  {
    on: "shapes",
    say: "add 3 small green cones on the floor",
    check: (v) =>
      v
        .named("Cone")
        .filter((cone) => cone.name !== "Cone")
        .every((cone) => close(v.bottom(cone), -1)),
  },
  { on: "shapes", say: "make the cone yellow", check: (v) => near(v.get("Cone").material?.baseColor, "yellow") },
  { on: "shapes", say: "paint the sphere purple", check: (v) => near(v.get("Sphere").material?.baseColor, "purple") },
  {
    on: "shapes",
    say: "make the cube metallic and glossy",
    check: (v) => close(v.get("Cube").material?.metallic, 1) && close(v.get("Cube").material?.roughness, 0.1),
  },
  {
    on: "shapes",
    say: "make the cube wooden",
    check: (v) => near(v.get("Cube").material?.baseColor, "#8b5a2b") && close(v.get("Cube").material?.roughness, 0.8),
  },
  { on: "shapes", say: "make the sphere glow", check: (v) => (v.get("Sphere").material?.emissionStrength ?? 0) > 0 },
  { on: "shapes", say: "make the cone matte", check: (v) => close(v.get("Cone").material?.roughness, 0.9) },
  { on: "shapes", say: "make the cube invisible", check: (v) => close(v.get("Cube").material?.alpha, 0) },
  {
    on: "shapes",
    say: "make the cube and the sphere blue",
    check: (v) => near(v.get("Cube").material?.baseColor, "blue") && near(v.get("Sphere").material?.baseColor, "blue"),
  },
  {
    on: "shapes",
    say: "make the cube red, the sphere blue and the cone green",
    check: (v) =>
      near(v.get("Cube").material?.baseColor, "red") &&
      near(v.get("Sphere").material?.baseColor, "blue") &&
      near(v.get("Cone").material?.baseColor, "green"),
  },
  { on: "shapes", say: "make the cone less shiny", check: (v) => close(v.get("Cone").material?.roughness, 0.6) },
  { on: "shapes", say: ["make the cube transparent", "make the cube opaque"], check: (v) => close(v.get("Cube").material?.alpha, 1) },
  { on: "shapes", say: "make the red cube orange", check: (v) => near(v.get("Cube").material?.baseColor, "orange") },
  { on: "shapes", say: "make the green one bigger", check: (v) => close(v.get("Sphere").scale[0], 1.5) },
  {
    on: "shapes",
    say: "rotate the cube and the sphere 45 degrees",
    check: (v) => close(v.get("Cube").rotation[2], 45) && close(v.get("Sphere").rotation[2], 45),
  },
  {
    on: "shapes",
    say: "move the cube and the cone up by 2",
    check: (v) => close(v.get("Cube").location[2], 2) && close(v.get("Cone").location[2], 2),
  },
  {
    on: "shapes",
    say: "move the cube closer to the sphere",
    check: (v) => close(v.get("Cube").location[0], 1) && !overlapsAny(v, v.get("Cube")),
  },
  { on: "shapes", say: "move the cube away from the sphere", check: (v) => close(v.get("Cube").location[0], -1) },
  { on: "shapes", say: "move the cube up 2 and left 3", check: (v) => v.get("Cube").location.join() === "-3,0,2" },
  { on: "shapes", say: "move the sphere 2 units forward", check: (v) => v.get("Sphere").location.join() === "3,-2,0" },
  {
    on: "shapes",
    say: "arrange the cube, the sphere and the cone in a circle",
    check: (v) => {
      const radii = ["Cube", "Sphere", "Cone"].map((name) => Math.hypot(v.get(name).location[0]!, v.get(name).location[1]!));
      return radii.every((radius) => close(radius, radii[0]!) && radius > 1.5);
    },
  },
  { on: "shapes", say: "stack the cube and the sphere", check: (v) => restsOn(v, v.get("Sphere"), v.get("Cube")) },
  {
    on: "shapes",
    say: "space the objects evenly",
    check: (v) =>
      v.get("Floor").location.join() === "0,0,-1" &&
      close(v.get("Sphere").location[0]! - v.get("Cube").location[0]!, v.get("Cube").location[0]! - v.get("Cone").location[0]!),
  },
  { on: "shapes", say: "delete everything except the cube", check: (v) => v.scene.objects.map((object) => object.name).join() === "Cube" },
  {
    on: "shapes",
    say: "rotate the cube 45 degrees on the x axis and 30 on z",
    check: (v) => close(v.get("Cube").rotation[0], 45) && close(v.get("Cube").rotation[2], 30),
  },
  { on: "shapes", say: "scale the cone to 2 on z", check: (v) => v.get("Cone").scale.join() === "1,1,2" },
  {
    on: "shapes",
    say: "make the cube a little more red",
    check: (v) => close(v.get("Cube").scale[0], 1) && near(v.get("Cube").material?.baseColor, "red"),
  },
  { on: "shapes", say: "rename the cube to Box", check: (v) => v.has("Box") && !v.has("Cube") },
  { on: "shapes", say: "duplicate the sphere", check: (v) => v.named("Sphere").length === 2 },
  { on: "shapes", say: "make two copies of the cone", check: (v) => v.named("Cone").length === 3 },
  { on: "shapes", say: "delete the cone", check: (v) => !v.has("Cone") && v.has("Cube") },
  { on: "shapes", say: "delete the cube and the sphere", check: (v) => !v.has("Cube") && !v.has("Sphere") && v.has("Cone") },
  { on: "shapes", say: "remove the floor", check: (v) => !v.has("Floor") && v.has("Cube") },
  { on: "shapes", say: "clear the scene", check: (v) => v.scene.objects.length === 0 },
  { on: "shapes", say: "start over", check: (v) => v.scene.objects.length === 0 },
  { on: "shapes", say: "what's in the scene?", check: (v) => v.scene.objects.length === 4 },

  // Composites, each one group.
  {
    say: "build a snowman",
    check: (v) => {
      const [base, body, head] = ["Snowman Base", "Snowman Body", "Snowman Head"].map((name) => v.get(name));
      return v.parts("Snowman").length >= 5 && restsOn(v, body!, base!) && restsOn(v, head!, body!) && close(v.bottom(base!), 0);
    },
  },
  {
    say: "make a table with four legs",
    check: (v) => {
      const legs = v.parts("Table").filter((part) => part.name.startsWith("Table Leg"));
      return legs.length === 4 && legs.every((leg) => close(v.bottom(leg), 0) && close(v.top(leg), v.bottom(v.get("Table Top"))));
    },
  },
  { say: "make a table with three legs", check: (v) => v.parts("Table").filter((part) => part.name.startsWith("Table Leg")).length === 3 },
  {
    say: "add a small wooden table",
    check: (v) =>
      near(v.get("Table Top").material?.baseColor, "#8b5a2b") &&
      close(v.top(v.get("Table Top")), 0.385) &&
      close(v.get("Table Top").material?.roughness, 0.8),
  },
  { say: "add a chair", check: (v) => v.parts("Chair").length === 6 && close(v.bottomOf(v.parts("Chair")), 0) },
  { say: "add a stool", check: (v) => v.parts("Stool").length === 4 },
  { say: "add a bench", check: (v) => v.parts("Bench").length === 6 },
  { say: "add a bookshelf", check: (v) => v.parts("Shelf").length === 6 },
  { say: "add a lamp", check: (v) => (v.get("Lamp Bulb").material?.emissionStrength ?? 0) > 0 && v.parts("Lamp").length === 4 },
  { say: "add a tree", check: (v) => v.parts("Tree").length === 4 && close(v.bottomOf(v.parts("Tree")), 0) },
  { say: "add a house", check: (v) => v.parts("House").length >= 5 && v.top(v.get("House Walls")) < v.topOf(v.parts("House")) },
  { say: "add a fence with 6 posts", check: (v) => v.parts("Fence").filter((part) => part.name.includes("Post")).length === 6 },
  { say: "add a fence", check: (v) => v.parts("Fence").filter((part) => part.name.includes("Post")).length === 5 },
  {
    say: "add stairs with 4 steps",
    check: (v) => {
      const steps = v.parts("Stairs").sort((a, b) => v.top(a) - v.top(b));
      return steps.length === 4 && steps.every((step, index) => index === 0 || v.top(step) > v.top(steps[index - 1]!));
    },
  },
  { say: "add a pyramid", check: (v) => v.has("Pyramid") && close(v.bottom(v.get("Pyramid")), 0) },
  {
    say: "add an arch",
    check: (v) => v.parts("Arch").length === 3 && restsOn(v, v.get("Arch Lintel"), [v.get("Arch Pillar 1"), v.get("Arch Pillar 2")]),
  },
  {
    say: "build a red car",
    check: (v) =>
      near(v.get("Car Body").material?.baseColor, "red") && v.parts("Car").filter((part) => part.name.includes("Wheel")).length === 4,
  },
  { say: "build a rocket", check: (v) => v.parts("Rocket").length === 7 && close(v.bottomOf(v.parts("Rocket")), 0) },
  { say: "add a tower", check: (v) => v.parts("Tower").length === 2 },
  { say: "add a bed", check: (v) => v.parts("Bed").length === 4 },
  { say: "add a sofa", check: (v) => v.parts("Sofa").length === 4 },
  { say: "add a couch", check: (v) => v.parts("Sofa").length === 4 },
  { say: "add a mushroom", check: (v) => near(v.get("Mushroom Cap").material?.baseColor, "red") },
  { say: "build a blue house", check: (v) => near(v.get("House Walls").material?.baseColor, "blue") },
  { say: "add a big chair", check: (v) => close(v.top(v.get("Chair Seat")), 0.97, 0.03) },
  { say: "add a tall tree", check: (v) => v.topOf(v.parts("Tree")) > 4 },
  {
    say: "add two trees",
    check: (v) => {
      const [a, b] = [v.parts("Tree"), v.parts("Tree.001")];
      return a.length === 4 && b.length === 4 && Math.abs(v.at(a[0]!)[0]! - v.at(b[0]!)[0]!) > 1.5;
    },
  },
  {
    on: "shapes",
    say: "add a table next to the cube",
    check: (v) => close(v.bottomOf(v.parts("Table")), -1) && v.parts("Table").every((part) => !overlapsAny(v, part, "Table")),
  },
  {
    on: "shapes",
    say: "build a snowman next to the cube",
    check: (v) => v.parts("Snowman").every((part) => !overlapsAny(v, part, "Snowman")),
  },
  {
    on: "shapes",
    say: "add a car on the floor",
    // The wheels are turned cylinders, whose dimensions are their own axes': the body tells where the car is.
    check: (v) => !overlapsAny(v, v.get("Car Body"), "Car") && close(v.bottom(v.get("Car Body")), -0.75),
  },
  {
    on: "shapes",
    say: "put a red ball on the floor",
    check: (v) => !overlapsAny(v, v.get("Sphere.001")) && close(v.bottom(v.get("Sphere.001")), -1),
  },
  {
    say: "add a small red table and two chairs",
    check: (v) => v.parts("Table").length === 5 && v.parts("Chair").length === 6 && v.parts("Chair.001").length === 6,
  },
  { say: "add a house and a tree", check: (v) => v.parts("House").length >= 5 && v.parts("Tree").length === 4 },
  { say: "add a warm light", check: (v) => v.scene.lights.some((light) => light.name === "Point Light" && near(light.color, "#ffb46b")) },
  {
    say: "add a table with a red top",
    check: (v) => near(v.get("Table Top").material?.baseColor, "red") && near(v.get("Table Leg 1").material?.baseColor, "#8b5a2b"),
  },
  { say: "build a house with a red roof", check: (v) => near(v.get("House Roof").material?.baseColor, "red") },
  {
    say: "add a chair with a purple seat and black legs",
    check: (v) =>
      near(v.get("Chair Seat").material?.baseColor, "purple") &&
      v
        .parts("Chair")
        .filter((part) => part.name.includes("Leg"))
        .every((leg) => near(leg.material?.baseColor, "black")),
  },
  {
    say: ["add a table", "make the table top red"],
    check: (v) => near(v.get("Table Top").material?.baseColor, "red") && near(v.get("Table Leg 1").material?.baseColor, "#8b5a2b"),
  },
  { say: "add a sun and a point light", check: (v) => v.has("Sun") && v.has("Point Light") },
  { say: "add a ground plane", check: (v) => close(v.get("Ground").scale[0], 10) },
  {
    say: "add a lamp on a table",
    check: (v) => close(v.bottomOf(v.parts("Lamp")), v.top(v.get("Table Top"))) && v.get("Lamp").parent === "Table",
  },
  {
    say: "add a table with a lamp on it",
    check: (v) => close(v.bottomOf(v.parts("Lamp")), v.top(v.get("Table Top"))) && v.get("Lamp").parent === "Table",
  },
  {
    say: "add a table with a red cube on top",
    check: (v) => restsOn(v, v.get("Cube"), v.get("Table Top")) && near(v.get("Cube").material?.baseColor, "red"),
  },
  { say: "create a simple scene with a table and a chair", check: (v) => v.parts("Table").length === 5 && v.parts("Chair").length === 6 },
  { say: "add a sunset", check: (v) => v.has("Sunset Sun") },
  // Everyday instructions it has no reading for: acting on them is wrong, refusing them is counted.
  { say: "add a big yellow star", check: () => false },
  { say: "add a heart", check: () => false },
  { say: "make a pyramid of cubes", check: () => false },
  { say: "add a camera", check: () => false },
  { on: "shapes", say: "build a snowman on the floor", check: (v) => close(v.bottomOf(v.parts("Snowman")), -1) },
  { say: ["add a table", "add a sphere", "put the sphere on the table"], check: (v) => restsOn(v, v.get("Sphere"), v.get("Table Top")) },
  {
    say: ["add a table", "move the table left by 2"],
    check: (v) => close(v.at(v.get("Table Top"))[0]! - v.at(v.get("Table Leg 1"))[0]!, 0.72) && v.at(v.get("Table Top"))[0]! < 0,
  },
  { say: ["build a snowman", "build a snowman"], check: (v) => v.parts("Snowman").length === 8 && v.parts("Snowman.001").length === 8 },
  { say: ["build a snowman", "delete the snowman"], check: (v) => v.scene.objects.length === 0 },
  {
    say: ["add a table", "add a lamp", "put the lamp on the table"],
    check: (v) => close(v.bottomOf(v.parts("Lamp")), v.top(v.get("Table Top"))),
  },
  {
    say: ["add a table", "add a sphere", "put the sphere on the table", "move the table right by 3"],
    check: (v) => restsOn(v, v.get("Sphere"), v.get("Table Top")),
  },
  { say: ["add a chair", "make the chair red"], check: (v) => v.parts("Chair").every((part) => near(part.material?.baseColor, "red")) },
  { say: ["add a chair", "make it blue"], check: (v) => v.parts("Chair").every((part) => near(part.material?.baseColor, "blue")) },
  {
    say: ["build a snowman", "move it right by 2"],
    check: (v) => close(v.at(v.get("Snowman Base"))[0], 2) && close(v.at(v.get("Snowman Head"))[0], 2),
  },
  { say: ["add a car", "rotate the car 90 degrees"], check: (v) => close(v.get("Car").rotation[2], 90) },
  {
    say: ["add a tree", "make the tree twice as big"],
    check: (v) => close(v.get("Tree").scale[0], 2) && close(v.bottomOf(v.parts("Tree")), 0),
  },

  // Looks: world, lights and camera together.
  {
    say: "make it look like sunset",
    check: (v) =>
      near(v.scene.world.color, "#f2895a") && v.scene.lights.some((light) => light.type === "sun" && light.name === "Sunset Sun"),
  },
  { say: "studio lighting", check: (v) => ["Key Light", "Fill Light", "Rim Light"].every((name) => v.has(name)) },
  { say: "make it night", check: (v) => near(v.scene.world.color, "#0b1026") && v.has("Moonlight") },
  { say: "overcast", check: (v) => near(v.scene.world.color, "#b8c2cc") },
  { say: "neon lighting", check: (v) => v.has("Neon Pink") && v.has("Neon Cyan") && near(v.scene.world.color, "#07020f") },
  { say: "make it look like a sunny day", check: (v) => near(v.scene.world.color, "#87ceeb") },
  { say: "set the mood to dusk", check: (v) => v.has("Sunset Sun") },
  {
    say: ["build a snowman", "make it look like sunset"],
    check: (v) => v.has("Sunset Sun") && v.scene.camera !== null && v.scene.camera.location[2]! > 0,
  },

  // Lights, camera, background, output.
  { say: "add a sun", check: (v) => v.scene.lights.some((light) => light.type === "sun") },
  {
    on: "shapes",
    say: "add a red point light above the cube",
    check: (v) =>
      v.get("Cube") && v.scene.lights.some((light) => light.type === "point" && light.location[2]! > 2 && near(light.color, "red")),
  },
  { on: "shapes", say: "add a spot light pointing at the sphere", check: (v) => v.scene.lights.some((light) => light.type === "spot") },
  { say: "add a bright area light", check: (v) => v.scene.lights.some((light) => light.type === "area" && light.energy === 2000) },
  { say: "add two lights", check: (v) => v.scene.lights.filter((light) => light.type === "point").length === 3 },
  { say: "make the background black", check: (v) => near(v.scene.world.color, "black") },
  { say: "make the background dark blue", check: (v) => near(v.scene.world.color, "darkblue") },
  { on: "shapes", say: "look from above", check: (v) => v.scene.camera!.location[2]! > 8 },
  { on: "shapes", say: "look at the sphere", check: (v) => v.scene.camera !== null },
  { say: "camera at 0, -10, 3", check: (v) => v.scene.camera!.location.join() === "0,-10,3" },
  { say: "zoom in", check: (v) => close(v.scene.camera!.lens, 75) },
  { say: "use a wide angle lens", check: (v) => close(v.scene.camera!.lens, 24) },
  { on: "shapes", say: "render the scene at 64x64 with workbench", check: (v) => v.scene.objects.length === 4 },
  { on: "shapes", say: "export as glb", check: (v) => v.scene.objects.length === 4 },
  { on: "shapes", say: "export as stl and obj", check: (v) => v.scene.objects.length === 4 },

  // Short sequences.
  {
    say: ["add a red cube", "add a blue sphere on top of the cube", "make the sphere metallic"],
    check: (v) => restsOn(v, v.get("Sphere"), v.get("Cube")) && close(v.get("Sphere").material?.metallic, 1),
  },
  { say: ["add three cubes in a row", "delete the cubes"], check: (v) => v.named("Cube").length === 0 },
  { say: ["add a floor", "add a cube on the floor"], check: (v) => close(v.bottom(v.get("Cube")), v.top(v.get("Floor"))) },
  { say: ["add a cube", "duplicate it twice"], check: (v) => v.named("Cube").length === 3 },
  { say: ["add a sphere", "rename it to Ball", "make Ball red"], check: (v) => near(v.get("Ball").material?.baseColor, "red") },
  { say: ["add a cone", "turn it upside down"], check: (v) => close(Math.abs(v.get("Cone").rotation[0]!), 180) },
  { say: ["add a red sphere", "move it up by 3"], check: (v) => close(v.get("Sphere").location[2], 3) },
  { say: ["add a cube", "make it glow"], check: (v) => (v.get("Cube").material?.emissionStrength ?? 0) > 0 },
  { say: ["add a cube", "add a cone on top of it"], check: (v) => restsOn(v, v.get("Cone"), v.get("Cube")) },
  { say: ["add a cube", "make it 2 m tall"], check: (v) => close(v.get("Cube").dimensions[2], 2) },
  {
    say: ["add a sphere", "make it half transparent"],
    check: (v) => close(v.get("Sphere").material?.alpha, 0.5) && close(v.get("Sphere").scale[0], 1),
  },
  { say: "add a cube and make it blue", check: (v) => near(v.get("Cube").material?.baseColor, "blue") },
  { say: "add a sphere then move it left by 2", check: (v) => close(v.get("Sphere").location[0], -2) },
  { say: "add a cube, then rotate it 30 degrees", check: (v) => close(v.get("Cube").rotation[2], 30) },
  { say: "add a red cube and render the scene at 64x64 with workbench", check: (v) => v.has("Cube") },

  // Modifiers, animation and textures: the scene tools of issue 13.
  {
    on: "shapes",
    needs: "add_modifier",
    say: "bevel the cube's edges",
    check: (v) => hasModifier(v.get("Cube"), "bevel"),
  },
  {
    on: "shapes",
    needs: "add_modifier",
    say: "make the sphere smooth",
    check: (v) =>
      (v.get("Sphere").modifiers as Array<{ type: string }> | undefined)?.some((modifier) => modifier.type === "subdivision") === true,
  },
  { on: "shapes", needs: "add_modifier", say: "make the cube hollow", check: (v) => hasModifier(v.get("Cube"), "solidify") },
  { on: "shapes", needs: "add_modifier", say: "mirror the cone along y", check: (v) => hasModifier(v.get("Cone"), "mirror") },
  { on: "shapes", needs: "add_modifier", say: "round the edges of the cube", check: (v) => hasModifier(v.get("Cube"), "bevel") },
  { on: "shapes", needs: "add_modifier", say: "make the floor bumpy", check: (v) => hasModifier(v.get("Floor"), "displace") },
  {
    on: "shapes",
    needs: "add_modifier",
    say: ["move the sphere to 1, 0, 0", "cut the sphere out of the cube"],
    check: (v) => hasModifier(v.get("Cube"), "boolean") && v.get("Sphere").hidden === true,
  },
  {
    needs: "add_modifier",
    say: ["add a table", "bevel the table"],
    check: (v) => v.parts("Table").every((part) => hasModifier(part, "bevel")),
  },
  {
    on: "shapes",
    needs: "insert_keyframe",
    say: "make the cube spin once over two seconds",
    check: (v) => animated(v.get("Cube"), "rotation").join() === "1,49" && v.scene.timeline?.frameEnd === 48,
  },
  {
    on: "shapes",
    needs: "render_animation",
    say: "make the cube spin once over two seconds and render a 64x64 gif with workbench",
    check: (v) => animated(v.get("Cube"), "rotation").length === 2,
  },
  {
    on: "shapes",
    needs: "insert_keyframe",
    say: "move the sphere up by 2 over 3 seconds",
    check: (v) => animated(v.get("Sphere"), "location").join() === "1,73",
  },
  {
    on: "shapes",
    needs: "insert_keyframe",
    say: "make the sphere bounce",
    check: (v) => animated(v.get("Sphere"), "location").length === 5,
  },
  {
    on: "shapes",
    needs: "insert_keyframe",
    say: "make the cube spin slowly",
    check: (v) => animated(v.get("Cube"), "rotation").join() === "1,97",
  },
  {
    on: "shapes",
    needs: "insert_keyframe",
    say: "make the cube rotate 90 degrees",
    check: (v) => close(v.get("Cube").rotation[2], 90) && animated(v.get("Cube"), "rotation").length === 0,
  },
  {
    on: "shapes",
    needs: "insert_keyframe",
    say: "spin the cone twice in 3 seconds",
    check: (v) => animated(v.get("Cone"), "rotation").join() === "1,73",
  },
  {
    on: "shapes",
    needs: "set_texture",
    say: ["render the scene at 64x64 with workbench", "use this image as the floor's texture"],
    check: (v) => v.get("Floor").material?.maps?.some((map) => map.map === "base_color") === true,
  },
];

/** Whether an object's box overlaps another object's (the floor and, given `group`, its own group's parts aside). */
function overlapsAny(view: View, object: SceneObject, group?: string): boolean {
  return view.scene.objects.some(
    (other) =>
      other !== object &&
      other.name !== "Floor" &&
      other.type !== "EMPTY" &&
      (group === undefined || other.parent !== group) &&
      [0, 1, 2].every(
        (axis) =>
          Math.abs(view.at(other)[axis]! - view.at(object)[axis]!) < (other.dimensions[axis]! + object.dimensions[axis]!) / 2 - 0.01,
      ),
  );
}

function hasModifier(object: SceneObject, type: string): boolean {
  return (object.modifiers ?? []).some((modifier) => modifier.type === type);
}

function animated(object: SceneObject, property: string): number[] {
  return (object.animation ?? []).find((entry) => entry.property === property)?.frames ?? [];
}

/** Instructions that must be refused (or asked about): acting on them is a wrong action. */
const MUST_REFUSE: string[] = [
  "add a dragon and fly to the moon",
  "add a fancy cube",
  "make the cube sparkly",
  "build a house with a garage",
  "stack two giraffes",
  "put the sphere on the table",
  "make the cube dance",
  "add a chair with wheels",
  "put a cube on each side of the sphere",
  "put a big sphere inside the cube",
  "add a fancy light",
  "remove the color from the cube",
  "move the sphere up by twice its size",
  "rotate the cone by 90 degrees twice",
  "add a table with a red roof",
];

let worker: WorkerProcess;
let toolClient: McpToolClient;
let agent: Agent;
const store = createMemoryAgentStore();

async function call(name: string, args: Record<string, unknown>): Promise<unknown> {
  const outcome = await toolClient.callTool({ projectId: "table", name, arguments: args });
  if (outcome.isError) throw new Error(`${name}: ${JSON.stringify(outcome.content)}`);
  return outcome.structuredContent;
}

async function setUp(on: TableCase["on"]): Promise<void> {
  await call("clear_scene", { resetAll: true });
  if (on !== "shapes") return;
  await call("add_object", { type: "plane", name: "Floor", location: [0, 0, -1], scale: 10, color: "#808080" });
  await call("add_object", { type: "cube", name: "Cube", location: [0, 0, 0], color: "red" });
  await call("add_object", { type: "uv_sphere", name: "Sphere", location: [3, 0, 0], color: "green" });
  await call("add_object", { type: "cone", name: "Cone", location: [-3, 0, 0], color: "blue" });
}

type Outcome = { kind: "right" } | { kind: "refused"; reply: string } | { kind: "wrong"; why: string };

async function runCase(index: number, steps: readonly string[], check: (view: View) => boolean, on: TableCase["on"]): Promise<Outcome> {
  await setUp(on);
  const projectId = `table-${index}`;
  if (on === "shapes")
    await store.saveContext(projectId, {
      ...(await store.getContext(projectId)),
      scene: (await call("get_scene", { limit: 500 })) as Scene,
    });
  for (const text of steps) {
    const result = await agent.runTurn({ projectId, text });
    const failed = result.toolCalls.filter((record) => record.error);
    if (failed.length > 0)
      return { kind: "wrong", why: `${text}: ${failed.map((record) => `${record.name} ${record.error?.message}`).join("; ")}` };
    const acted = result.toolCalls.some((record) => record.name !== "get_scene");
    if (!acted && /did nothing|I do not know|What should|Where should|How (?:far|big|many)/.test(result.reply))
      return { kind: "refused", reply: `${text}: ${result.reply.split("\n")[0]}` };
  }
  const view = new View((await call("get_scene", { limit: 500 })) as Scene);
  try {
    return check(view) ? { kind: "right" } : { kind: "wrong", why: "the scene does not match" };
  } catch (error) {
    return { kind: "wrong", why: (error as Error).message };
  }
}

beforeAll(async () => {
  worker = await startWorkerProcess();
  toolClient = createMcpToolClient({ url: `${worker.url}/mcp` });
  agent = createAgent({ reasoner: createPlannerReasoner(), toolClient, store, previewAfterChanges: false });
}, 120_000);

afterAll(async () => {
  await toolClient?.close();
  await worker?.stop();
  if (worker) await removeDir(worker.dataDir);
});

describe("the offline planner's instruction table, checked in real Blender", () => {
  it("acts right on every instruction it does not refuse, and refuses fewer than 5%", async () => {
    const cases = CASES.filter((entry) => !entry.needs || findToolContract(entry.needs));
    const wrong: string[] = [];
    const refused: string[] = [];
    for (const [index, entry] of cases.entries()) {
      const steps = typeof entry.say === "string" ? [entry.say] : entry.say;
      const outcome = await runCase(index, steps, entry.check, entry.on);
      if (outcome.kind === "wrong") wrong.push(`${steps.join(" / ")}: ${outcome.why}`);
      if (outcome.kind === "refused") refused.push(outcome.reply);
    }
    for (const [index, text] of MUST_REFUSE.entries()) {
      const outcome = await runCase(cases.length + index, [text], () => false, "shapes");
      if (outcome.kind !== "refused") wrong.push(`${text}: acted on an instruction it should have asked about`);
    }
    const right = cases.length - wrong.length - refused.length + MUST_REFUSE.length;
    console.log(
      `planner table: ${cases.length} instructions (+${MUST_REFUSE.length} that must be refused): ${right - MUST_REFUSE.length} right, ${refused.length} refused (${((100 * refused.length) / cases.length).toFixed(1)}%), ${wrong.length} wrong${refused.length > 0 ? `\nrefused:\n  ${refused.join("\n  ")}` : ""}`,
    );
    expect(wrong).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(150);
    expect(refused.length / cases.length).toBeLessThan(0.05);
  }, 900_000);
});
