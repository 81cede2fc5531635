// Folding tool results into the scene as last seen.
import { describe, expect, it } from "vitest";
import { applyToolResult, emptyScene } from "./scene.ts";

const cube = {
  name: "Cube",
  type: "MESH",
  primitive: "cube",
  location: [0, 0, 0],
  rotation: [0, 0, 0],
  scale: [1, 1, 1],
  dimensions: [2, 2, 2],
  material: null,
};

describe("applyToolResult", () => {
  it("adds, renames, deletes and clears objects without changing its input", () => {
    const start = emptyScene();
    const added = applyToolResult(start, "add_object", { type: "cube" }, { object: cube });
    expect(start.objects).toEqual([]);
    expect(added.objects.map((object) => object.name)).toEqual(["Cube"]);
    const renamed = applyToolResult(added, "update_object", { name: "Cube", newName: "Box" }, { object: { ...cube, name: "Box" } });
    expect(renamed.objects.map((object) => object.name)).toEqual(["Box"]);
    const copied = applyToolResult(renamed, "duplicate_object", { name: "Box" }, { object: { ...cube, name: "Box.001" } });
    expect(copied.totalObjects).toBe(2);
    const deleted = applyToolResult(copied, "delete_object", { name: "Box" }, { deleted: "Box" });
    expect(deleted.objects.map((object) => object.name)).toEqual(["Box.001"]);
    const cleared = applyToolResult(deleted, "clear_scene", {}, { removed: ["Box.001"] });
    expect(cleared.objects).toEqual([]);
  });

  it("tracks lights, camera and world, and takes get_scene as it is", () => {
    const light = { name: "Sun", type: "sun", location: [0, 0, 10], rotation: [0, 0, 0], color: "#ffffff", energy: 3 };
    let scene = applyToolResult(emptyScene(), "add_light", { type: "sun" }, { light });
    expect(scene.lights).toEqual([light]);
    scene = applyToolResult(scene, "set_world", { color: "black" }, { world: { color: "#000000", strength: 1 } });
    expect(scene.world.color).toBe("#000000");
    scene = applyToolResult(scene, "set_camera", {}, { camera: { name: "Camera", location: [0, -10, 3], rotation: [0, 0, 0], lens: 50 } });
    expect(scene.camera?.location).toEqual([0, -10, 3]);
    const fresh = { ...emptyScene(), objects: [cube], totalObjects: 1 };
    expect(applyToolResult(scene, "get_scene", {}, fresh)).toEqual(fresh);
    expect(applyToolResult(scene, "render_frame", {}, { width: 10 })).toBe(scene);
  });
});
