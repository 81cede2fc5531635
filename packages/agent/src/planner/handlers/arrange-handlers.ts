// The handler that arranges objects already in the scene: "line up the cubes", "arrange the spheres
// in a circle", "space the cones evenly", "stack the cubes" (update_object for each, in meters).
import { isFloor } from "../placement.ts";
import { type Handler, push } from "../plan-state.ts";
import { findReferences } from "../references.ts";
import { formatVec, roundVec } from "../values.ts";
import { PlanRefusal, type Vec3, type WorldObject } from "../world.ts";

const ARRANGE =
  /^(?:arrange|line up|lay out|put|place|move|spread(?: out)?|space(?: out)?|distribute|stack(?: up)?|pile(?: up)?|set)\s+(.+?)\s*(in a (?:row|line)|side by side|evenly(?: spaced)?|equally spaced|in a (?:circle|ring)|in a grid|in a (?:stack|pile|tower)|on top of each other|in a column)?$/;

export const handleArrange: Handler = (clause, state) => {
  const match = ARRANGE.exec(clause.text);
  if (!match) return false;
  const verb = /^\S+(?: up| out)?/.exec(clause.text)![0];
  const shape =
    match[2] ?? (/^(?:line up|spread|space|distribute)/.test(verb) ? "in a row" : /^(?:stack|pile)/.test(verb) ? "in a stack" : undefined);
  if (!shape) return false;
  const text = match[1]!;
  const references = findReferences(text, state);
  if (references.length === 0) return false;
  // Only the objects may be named between the verb and the arrangement.
  let rest = text;
  for (const reference of [...references].reverse()) rest = `${rest.slice(0, reference.index)} ${rest.slice(reference.end)}`;
  if (rest.split(/[\s,]+/).some((word) => word && !/^(?:and|the|all|&)$/.test(word))) return false;
  // Floors stay where they are: "space the objects evenly" means what stands on them.
  const objects = [...new Set(references.flatMap((reference) => reference.objects))].filter(
    (object) => object.kind !== "light" && !isFloor(object),
  );
  if (objects.length < 2) throw new PlanRefusal(`Arranging needs two or more objects; ${objects[0]?.name ?? "that"} is one.`);
  const { world } = state;
  const boxes = objects.map((object) => world.boxOf(object));
  const center = [0, 1, 2].map((axis) => boxes.reduce((sum, box) => sum + box.center[axis]!, 0) / boxes.length) as Vec3;
  const widest = Math.max(...boxes.map((box) => Math.max(box.size[0], box.size[1])));
  const step = widest + 1;
  const targets: Vec3[] = [];
  if (/circle|ring/.test(shape)) {
    const radius = Math.max(step, (objects.length * step) / (2 * Math.PI));
    objects.forEach((_, index) => {
      const angle = (2 * Math.PI * index) / objects.length;
      targets.push([center[0] + radius * Math.cos(angle), center[1] + radius * Math.sin(angle), center[2]]);
    });
  } else if (/grid/.test(shape)) {
    const columns = Math.ceil(Math.sqrt(objects.length));
    const rows = Math.ceil(objects.length / columns);
    for (let index = 0; index < objects.length; index++)
      targets.push([
        center[0] + ((index % columns) - (columns - 1) / 2) * step,
        center[1] + (Math.floor(index / columns) - (rows - 1) / 2) * step,
        center[2],
      ]);
  } else if (/stack|pile|tower|top of each other|column/.test(shape)) {
    // On the lowest one, each resting on the one below.
    const order = objects
      .map((object, index) => ({ object, box: boxes[index]! }))
      .sort((a, b) => a.box.center[2] - a.box.size[2] / 2 - (b.box.center[2] - b.box.size[2] / 2));
    const base = order[0]!.box;
    let top = base.center[2] - base.size[2] / 2;
    const placed = new Map<WorldObject, Vec3>();
    for (const { object, box } of order) {
      placed.set(object, [base.center[0], base.center[1], top + box.size[2] / 2]);
      top += box.size[2];
    }
    for (const object of objects) targets.push(placed.get(object)!);
  } else {
    // A row along x through their middle, in their left-to-right order.
    const order = objects.map((object, index) => ({ object, index })).sort((a, b) => boxes[a.index]!.center[0] - boxes[b.index]!.center[0]);
    const slots = new Map<WorldObject, number>(order.map((entry, slot) => [entry.object, slot]));
    for (const object of objects) targets.push([center[0] + (slots.get(object)! - (objects.length - 1) / 2) * step, center[1], center[2]]);
  }
  const moved: string[] = [];
  objects.forEach((object, index) => {
    // The box's center goes to the target; the origin keeps its offset from it.
    const box = boxes[index]!;
    const location = roundVec(targets[index]!.map((value, axis) => value - box.center[axis]! + object.location[axis]!));
    push(state, "update_object", { name: object.name, location }, `Moved ${object.name} to ${formatVec(location)}.`);
    world.moveBy(object, location.map((value, axis) => value - object.location[axis]!) as Vec3);
    moved.push(object.name);
  });
  world.focus = moved;
  return true;
};
