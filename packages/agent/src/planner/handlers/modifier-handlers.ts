// Handlers for shape changes that stay editable (add_modifier): bevelled edges, smoothing, a wall
// thickness, mirroring, cutting one object out of another, and bumps. Planned only where the
// modifier tools are in the contracts.
import { type Handler, hasTool, type PlanState, pushTool } from "../plan-state.ts";
import { findReferences, firstReference, type Reference } from "../references.ts";
import { round } from "../values.ts";
import { PlanRefusal, type WorldObject } from "../world.ts";

interface ModifierIntent {
  /** What the clause asks, read from its verb and words. */
  kind: "bevel" | "subdivision" | "solidify" | "mirror" | "displace";
  /** The clause without the words that name the change, where the objects are named. */
  rest: string;
}

const INTENTS: ReadonlyArray<readonly [RegExp, ModifierIntent["kind"]]> = [
  [/^(?:bevel|chamfer|round(?: off)?|soften)\s+(?:the edges of\s+)?(.*?)(?:\s+edges)?$/, "bevel"],
  [/^(?:give|add)\s+(.*?)\s+(?:rounded|round|bevell?ed|soft|smooth|chamfered)\s+edges$/, "bevel"],
  [/^(?:add (?:a )?bevel to|add bevell?ed edges to)\s+(.*)$/, "bevel"],
  [/^(?:make)\s+(.*?)\s+(?:edges\s+)?(?:rounded|bevell?ed)(?:\s+edges)?$/, "bevel"],
  [/^(?:smooth(?: out)?|subdivide)\s+(.*)$/, "subdivision"],
  [/^(?:make)\s+(.*?)\s+(?:smooth|smoother|rounder)$/, "subdivision"],
  [/^(?:solidify|thicken)\s+(.*)$/, "solidify"],
  [/^(?:make)\s+(.*?)\s+(?:hollow|thick)$/, "solidify"],
  [/^(?:give)\s+(.*?)\s+(?:a\s+)?(?:thickness|wall thickness)$/, "solidify"],
  [/^(?:mirror)\s+(.*)$/, "mirror"],
  [/^(?:make)\s+(.*?)\s+(?:bumpy|rough and bumpy|lumpy|rocky)$/, "displace"],
  [/^(?:add (?:bumps|noise|displacement) to|displace)\s+(.*)$/, "displace"],
];

function readIntent(text: string): ModifierIntent | undefined {
  for (const [pattern, kind] of INTENTS) {
    const match = pattern.exec(text);
    if (match) return { kind, rest: match[1] ?? "" };
  }
  return undefined;
}

/** The meshes a reference names; a group stands for its parts. */
function meshesOf(reference: Reference, state: PlanState): WorldObject[] {
  return reference.objects.flatMap((object) => (object.kind === "group" ? state.world.members(object) : [object]));
}

export const handleModifier: Handler = (clause, state) => {
  if (!hasTool("add_modifier")) return false;
  const boolean =
    /^(?:cut|subtract|carve)\s+(.*?)\s+(?:out of|from|into)\s+(.*)$/.exec(clause.text) ??
    /^(?:cut|carve) a hole in\s+(.*?)\s+(?:with|using)\s+(.*)$/.exec(clause.text);
  if (boolean) return planBoolean(clause.text, boolean, state);
  const intent = readIntent(clause.text);
  if (!intent) return false;
  // Axes for a mirror: "mirror the monkey along x", "across the y axis".
  let rest = intent.rest;
  const axesMatch = /\s+(?:along|across|on|over|in|around)\s+(?:the\s+)?([xyz](?:\s*(?:,|and)\s*[xyz])*)(?:[- ]?ax[ie]s)?$/.exec(rest);
  if (axesMatch) rest = rest.slice(0, axesMatch.index);
  const levels = /\s+(?:by\s+)?(\d)\s+levels?$|\s+(a lot|a little|slightly)$/.exec(rest);
  if (levels) rest = rest.slice(0, levels.index);
  const reference = firstReference(rest, state, intent.kind === "bevel" ? "bevel" : "change");
  if (rest.slice(reference.end).trim() !== "" || rest.slice(0, reference.index).trim() !== "") return false;
  for (const object of meshesOf(reference, state)) {
    if (object.kind !== "object")
      throw new PlanRefusal(
        `${object.name} is a light; only objects take ${intent.kind === "bevel" ? "bevelled edges" : "shape changes"}.`,
      );
    const smallest = Math.min(...object.dimensions.filter((value) => value > 0));
    switch (intent.kind) {
      case "bevel": {
        // A tenth of the smallest side, so small and large objects get the same look.
        const width = round(Math.max(0.005, Math.min(1, (Number.isFinite(smallest) ? smallest : 2) * 0.1)));
        pushTool(
          state,
          "add_modifier",
          { object: object.name, type: "bevel", width, segments: 3 },
          `Bevelled ${object.name}'s edges (${width} m, 3 segments).`,
        );
        break;
      }
      case "subdivision": {
        const count = levels?.[1] ? Number(levels[1]) : levels?.[2] === "a lot" ? 3 : levels?.[2] ? 1 : 2;
        pushTool(
          state,
          "add_modifier",
          { object: object.name, type: "subdivision", levels: count },
          `Smoothed ${object.name} (subdivision, ${count} levels).`,
        );
        break;
      }
      case "solidify":
        pushTool(state, "add_modifier", { object: object.name, type: "solidify", thickness: 0.1 }, `Gave ${object.name} a 0.1 m wall.`);
        break;
      case "mirror": {
        const axes = axesMatch ? [...new Set(axesMatch[1]!.match(/[xyz]/g) ?? ["x"])] : ["x"];
        pushTool(
          state,
          "add_modifier",
          { object: object.name, type: "mirror", axes },
          `Mirrored ${object.name} across ${axes.join(", ")}.`,
        );
        break;
      }
      case "displace":
        pushTool(state, "add_modifier", { object: object.name, type: "subdivision", levels: 4 }, `Subdivided ${object.name} for detail.`);
        pushTool(
          state,
          "add_modifier",
          {
            object: object.name,
            type: "displace",
            strength: round(Math.min(0.3, Math.max(0.05, (Number.isFinite(smallest) ? smallest : 2) * 0.1))),
            scale: 0.5,
          },
          `Made ${object.name} bumpy.`,
        );
        break;
    }
  }
  state.world.focus = reference.objects.map((object) => object.name);
  return true;
};

function planBoolean(text: string, match: RegExpExecArray, state: PlanState): boolean {
  const hole = /^(?:cut|carve) a hole/.test(text);
  // "cut the sphere out of the cube": the sphere cuts, the cube is cut. "cut a hole in the cube with the sphere": the reverse.
  const [cutterText, targetText] = hole ? [match[2]!, match[1]!] : [match[1]!, match[2]!];
  const cutter = findReferences(cutterText, state)[0];
  const target = findReferences(targetText, state)[0];
  if (!cutter || !target) {
    firstReference(cutter ? targetText : cutterText, state, "cut");
    return false;
  }
  const [cutterObject] = meshesOf(cutter, state);
  const targets = meshesOf(target, state);
  if (!cutterObject || cutter.objects.length !== 1)
    throw new PlanRefusal(`Cut with one object at a time, e.g. "cut the sphere out of the cube".`);
  for (const object of targets) {
    if (object.name === cutterObject.name) throw new PlanRefusal("An object cannot cut itself.");
    pushTool(
      state,
      "add_modifier",
      { object: object.name, type: "boolean", operation: "difference", with: cutterObject.name },
      `Cut ${cutterObject.name} out of ${object.name} (${cutterObject.name} is hidden).`,
    );
  }
  state.world.focus = targets.map((object) => object.name);
  return true;
}
