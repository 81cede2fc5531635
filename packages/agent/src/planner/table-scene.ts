// The scene the planner's tests plan edits against: a red cube, a green sphere, a cone without a
// recorded primitive (its type comes from its name), a floor, and a big blue cube named Box.
import type { Scene } from "../scene.ts";

function material(baseColor: string) {
  return { name: "Material", baseColor, metallic: 0, roughness: 0.5, emissionColor: "#000000", emissionStrength: 0, alpha: 1 };
}

/** The scene edits are planned against: a red cube, a green sphere, a cone (no recorded primitive), a floor, a big blue cube named Box. */
export const TABLE_SCENE: Scene = {
  objects: [
    {
      name: "Cube",
      type: "MESH",
      primitive: "cube",
      location: [0, 0, 0],
      rotation: [0, 0, 0],
      scale: [1, 1, 1],
      dimensions: [2, 2, 2],
      material: material("#ff0000"),
    },
    {
      name: "Sphere",
      type: "MESH",
      primitive: "uv_sphere",
      location: [3, 0, 0],
      rotation: [0, 0, 0],
      scale: [1, 1, 1],
      dimensions: [2, 2, 2],
      material: material("#00ff00"),
    },
    { name: "Cone", type: "MESH", location: [-3, 0, 0], rotation: [0, 0, 30], scale: [1, 1, 1], dimensions: [2, 2, 2], material: null },
    {
      name: "Floor",
      type: "MESH",
      primitive: "plane",
      location: [0, 0, -1],
      rotation: [0, 0, 0],
      scale: [10, 10, 10],
      dimensions: [20, 20, 0],
      material: material("#808080"),
    },
    {
      name: "Box",
      type: "MESH",
      primitive: "cube",
      location: [0, 4, 0],
      rotation: [0, 0, 0],
      scale: [2, 2, 2],
      dimensions: [4, 4, 4],
      material: material("#0000ff"),
    },
  ],
  totalObjects: 5,
  lights: [{ name: "Light", type: "point", location: [4, -4, 5], rotation: [0, 0, 0], color: "#ffffff", energy: 1000 }],
  camera: { name: "Camera", location: [7, -7, 5], rotation: [60, 0, 45], lens: 50 },
  world: { color: "#0d0d0d", strength: 1 },
  render: { engine: "eevee", width: 960, height: 540, samples: 32 },
};
