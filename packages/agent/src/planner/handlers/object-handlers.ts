// Handlers for whole objects: clearing the scene, deleting, renaming and duplicating; and the rule
// every new name keeps.
import { MAX_OBJECTS_PER_INSTRUCTION } from "../capabilities.ts";
import type { Clause } from "../clauses.ts";
import { describeObjects } from "../descriptions.ts";
import { type Handler, type PlanState, push, toolHasField } from "../plan-state.ts";
import { findReferences, firstReference } from "../references.ts";
import { formatVec, readCount, roundVec } from "../values.ts";
import { type PlannerWorld, PlanRefusal, SceneNeeded, type Vec3 } from "../world.ts";

export const handleClear: Handler = (clause, state) => {
  const match =
    /^(?:clear|empty|wipe|reset|start over|start again|start fresh|start from scratch|new scene|delete everything|remove everything|delete all(?: the)? objects|remove all(?: the)? objects|delete all$|remove all$|get rid of everything)(?:\b|$)/.exec(
      clause.text,
    );
  if (!match) return false;
  const rest = clause.text.slice(match[0].length);
  // "delete everything except the cube" keeps some: the delete handler reads it.
  if (/^\s*(?:except|but|apart from|other than)\b/.test(rest)) return false;
  if (
    /^(?:clear|empty|wipe|reset)$/.test(match[0]) &&
    !/^\s*(?:the |my |this )?(?:scene|everything|all|it|world|project)?\s*(?:from scratch)?$/.test(rest)
  )
    return false;
  const resetAll = /\b(?:reset|start|scratch|new scene)\b/.test(clause.text);
  push(
    state,
    "clear_scene",
    resetAll ? { resetAll: true } : {},
    resetAll ? "Reset the scene to a new project's." : "Removed every object.",
  );
  for (const object of [...state.world.objects]) if (resetAll || object.kind === "object") state.world.remove(object.name);
  state.world.focus = [];
  return true;
};

export const handleDelete: Handler = (clause, state) => {
  const match = /^(?:delete|remove|erase|get rid of|destroy|take away|take out|drop)\b/.exec(clause.text);
  if (!match) return false;
  const rest = clause.text.slice(match[0].length);
  if (/^\s*(?:everything|all|all objects|all the objects|every object)\s*$/.test(rest))
    return handleClear({ ...clause, text: "delete everything" }, state);
  // "delete everything except the cube": every object but the ones named.
  const except = /^\s*(?:everything|all(?: the)? objects|all|every object)\s+(?:except(?: for)?|but|apart from|other than)\s+(.+)$/.exec(
    rest,
  );
  if (except) {
    const kept = findReferences(except[1]!, state).flatMap((reference) => reference.objects);
    if (kept.length === 0) throw new PlanRefusal(`Which objects should stay? ${describeObjects(state.world)}`);
    const keep = new Set(
      kept.flatMap((object) => [
        object.name,
        ...state.world.members(object).map((member) => member.name),
        ...(object.parent ? [object.parent] : []),
      ]),
    );
    for (const object of state.world.objects.filter(
      (entry) => entry.kind !== "light" && !keep.has(entry.name) && !(entry.parent && state.world.find(entry.parent)),
    )) {
      push(
        state,
        "delete_object",
        object.kind === "group" && toolHasField("delete_object", "withChildren")
          ? { name: object.name, withChildren: true }
          : { name: object.name },
        `Deleted ${object.name}.`,
      );
      state.world.remove(object.name);
    }
    state.world.focus = [];
    return true;
  }
  const references = findReferences(rest, state);
  // Only the objects may be named: "remove the color from the cube" is not a deletion.
  let unread = rest;
  for (const reference of [...references].reverse()) unread = `${unread.slice(0, reference.index)} ${unread.slice(reference.end)}`;
  const leftover = unread.split(/[\s,]+/).filter((word) => word && !/^(?:and|the|both|also|from|scene|please|too|&)$/.test(word));
  if (references.length > 0 && leftover.length > 0)
    throw new PlanRefusal(
      `I could not read "${leftover.join(" ")}" in what to delete. e.g. "delete the cube", "delete the cube and the sphere", "delete everything except the floor".`,
    );
  if (references.length === 0 && !state.world.authoritative) throw new SceneNeeded();
  if (references.length === 0) throw new PlanRefusal(`What should I delete? ${describeObjects(state.world)}`);
  const deleted = new Set<string>();
  for (const reference of references) {
    for (const object of reference.objects) {
      if (deleted.has(object.name)) continue;
      deleted.add(object.name);
      const whole = object.kind === "group" && toolHasField("delete_object", "withChildren");
      push(
        state,
        "delete_object",
        whole ? { name: object.name, withChildren: true } : { name: object.name },
        `Deleted ${object.name}${whole ? " and its parts" : ""}.`,
      );
      if (whole) for (const member of state.world.members(object)) deleted.add(member.name);
      state.world.remove(object.name);
    }
  }
  state.world.focus = [];
  return true;
};

function readNewName(clause: Clause, state: PlanState, after: number): string | undefined {
  const text = clause.text.slice(after);
  const quoted = /^\s*(?:to|as)?\s*⟦(\d+)⟧/.exec(text);
  if (quoted) return state.quotes[Number(quoted[1])];
  const plain = /^\s*(?:to|as)?\s*(?:the name\s+)?([^\s,]+(?:\s+[^\s,]+){0,2})\s*$/.exec(clause.original.slice(after));
  return plain?.[1]?.trim();
}

export function validateName(name: string | undefined, world: PlannerWorld, current?: string): string {
  if (!name || name.length > 63 || /\p{Cc}/u.test(name)) throw new PlanRefusal(`A name must be 1 to 63 characters (got "${name ?? ""}").`);
  const existing = world.find(name);
  if (existing && existing.name !== current) throw new PlanRefusal(`There is already an object named ${existing.name}; pick another name.`);
  return name;
}

export const handleRename: Handler = (clause, state) => {
  const match = /^(?:rename|call|name|change the name of|retitle)\s+/.exec(clause.text);
  if (!match) return false;
  const rest = clause.text.slice(match[0].length);
  const reference = firstReference(rest, state, "rename");
  const start = match[0].length + reference.end;
  const name = validateName(readNewName(clause, state, start), state.world, reference.objects[0]!.name);
  const object = reference.objects[reference.objects.length - 1]!;
  push(state, "update_object", { name: object.name, newName: name }, `Renamed ${object.name} to ${name}.`);
  state.world.focus = state.world.focus.map((entry) => (entry === object.name ? name : entry));
  object.name = name;
  state.world.focus = [name];
  return true;
};

export const handleDuplicate: Handler = (clause, state) => {
  const match =
    /^(?:duplicate|copy|clone|make (?:a |an? )?cop(?:y|ies) of|make (\w+) cop(?:y|ies) of|add (?:a |an? )?cop(?:y|ies) of)\s+/.exec(
      clause.text,
    );
  if (!match) return false;
  const rest = clause.text.slice(match[0].length);
  const reference = firstReference(rest, state, "duplicate");
  const after = rest.slice(reference.end);
  const count =
    readCount(match[1]) ??
    (/\btwice\b/.test(after) ? 2 : /\bthrice\b/.test(after) ? 3 : undefined) ??
    readCount(/\b(\w+) times\b/.exec(after)?.[1]) ??
    readCount(/\b(\w+) cop(?:y|ies)\b/.exec(after)?.[1]) ??
    1;
  if (count > MAX_OBJECTS_PER_INSTRUCTION) throw new PlanRefusal(`At most ${MAX_OBJECTS_PER_INSTRUCTION} copies at a time.`);
  const names: string[] = [];
  for (const original of reference.objects) {
    if (original.kind === "light") throw new PlanRefusal(`${original.name} is a light; add another light instead of duplicating it.`);
    const direction: Vec3 = /\bleft\b/.test(after)
      ? [-1, 0, 0]
      : /\b(?:above|on top|up)\b/.test(after)
        ? [0, 0, 1]
        : /\b(?:below|under|down)\b/.test(after)
          ? [0, 0, -1]
          : /\b(?:behind|back)\b/.test(after)
            ? [0, 1, 0]
            : /\bin front\b/.test(after)
              ? [0, -1, 0]
              : [1, 0, 0];
    const axis = direction.findIndex((value) => value !== 0);
    const step = (original.dimensions[axis] ?? 2) + (/\b(?:above|on top|below|under|up|down)\b/.test(after) ? 0 : 1);
    for (let index = 1; index <= count; index++) {
      const name = state.world.uniqueName(original.name.replace(/\.\d{3}$/, ""));
      const offset = roundVec(direction.map((value) => value * step * index));
      push(
        state,
        "duplicate_object",
        { name: original.name, newName: name, offset },
        `Duplicated ${original.name} as ${name}, offset by ${formatVec(offset)}.`,
      );
      state.world.addObject({ ...original, name, location: original.location.map((value, i) => value + offset[i]!) as Vec3 });
      names.push(name);
    }
  }
  state.world.focus = names;
  return true;
};
