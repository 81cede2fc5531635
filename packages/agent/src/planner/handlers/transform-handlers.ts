// Handlers that move, rotate and scale objects, and the scale changes words describe ("twice as
// big", "2 m tall"), which the appearance handler reuses.
import { SIZE_WORDS } from "../lexicon.ts";
import { placeBeside, placeRelative, RELATION_LABELS, readRelation } from "../placement.ts";
import { type Handler, hasTool, type PlanState, push, pushTool } from "../plan-state.ts";
import { findReferences, leadingReference } from "../references.ts";
import { formatVec, readAmount, readCount, readDegrees, readDirection, readVector, roundVec } from "../values.ts";
import { PlanRefusal, type Vec3, type WorldObject } from "../world.ts";

export const handleMove: Handler = (clause, state) => {
  const match =
    /^(?:move|shift|put|place|position|raise|lift|lower|drop|slide|push|pull|bring|center|centre|set the (?:location|position) of|relocate)\s+/.exec(
      clause.text,
    );
  if (!match) return false;
  const verb = match[0].trim();
  const rest = clause.text.slice(match[0].length);
  // "put a cube on the floor" adds; "put the cube on the floor" moves.
  if (
    /^(?:put|place|position|drop)$/.test(verb) &&
    /^(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|\d+|some|several|few)\b/.test(rest)
  )
    return false;
  const reference = leadingReference(rest, state, "move");
  const after = rest.slice(reference.end);
  const { world } = state;
  const moved: string[] = [];
  for (const object of reference.objects) {
    const args: Record<string, unknown> = { name: object.name };
    let summary: string;
    const vector = readVector(after);
    const relation = readRelation(after, state, reference.objects);
    const towardMatch = vector ? null : /\b(?:closer to|nearer to|towards?|(away from|further from|farther from))\s+(.+)$/.exec(after);
    const towardReference = towardMatch ? findReferences(towardMatch[2]!, state)[0] : undefined;
    const toward = towardReference?.objects[0] ? { anchor: towardReference.objects[0], away: towardMatch![1] !== undefined } : undefined;
    if (
      /^\s*(?:to|at)\s+(?:the\s+)?(?:origin|center|centre|middle)\b/.test(after) ||
      (/^(?:center|centre)$/.test(verb) && !vector && !relation)
    ) {
      args.location = [0, 0, 0];
      summary = `Moved ${object.name} to the origin.`;
    } else if (vector && !/\bby\b/.test(after)) {
      args.location = vector;
      summary = `Moved ${object.name} to ${formatVec(vector)}.`;
    } else if (vector) {
      args.translate = vector;
      summary = `Moved ${object.name} by ${formatVec(vector)}.`;
    } else if (relation) {
      // The object's box goes in relation to the anchor's; its origin keeps its offset from its box's center.
      const own = world.boxOf(object);
      if (relation.relation === "around")
        throw new PlanRefusal(
          `"Around" needs several objects, e.g. "add four spheres around the ${relation.anchor.primitive ?? relation.anchor.name}".`,
        );
      if (relation.relation === "inside" && own.size.some((value, axis) => value > relation.box.size[axis]! + 1e-6))
        throw new PlanRefusal(`${object.name} is too big to fit inside ${relation.anchor.name}; make it smaller first.`);
      const center =
        relation.relation === "beside"
          ? placeBeside(world, relation.box, own.size, relation.gap, [object])
          : placeRelative(relation.box, relation.relation, own.size, relation.gap);
      const location = roundVec(center.map((value, axis) => value - own.center[axis]! + object.location[axis]!));
      args.location = location;
      summary = `Moved ${object.name} ${RELATION_LABELS[relation.relation]} ${relation.anchor.name}, to ${formatVec(location)}.`;
    } else if (toward) {
      // "closer to the sphere", "away from the cone": along the line between them, on the ground plane.
      const anchor = toward.anchor;
      const delta = [anchor.location[0] - object.location[0], anchor.location[1] - object.location[1]];
      const distance = Math.hypot(delta[0]!, delta[1]!);
      if (distance < 1e-6)
        throw new PlanRefusal(`${object.name} and ${anchor.name} are at the same place; say which way, e.g. "move it left by 2".`);
      const own = world.boxOf(object);
      const other = world.boxOf(anchor);
      // Closer stops before the two touch.
      const room = Math.max(0, distance - (Math.max(own.size[0], own.size[1]) + Math.max(other.size[0], other.size[1])) / 2);
      const amount = toward.away ? (readAmount(after) ?? 1) : Math.min(readAmount(after) ?? 1, room);
      const sign = toward.away ? -1 : 1;
      const translate = roundVec([(sign * delta[0]! * amount) / distance, (sign * delta[1]! * amount) / distance, 0]);
      args.translate = translate;
      summary = `Moved ${object.name} ${toward.away ? "away from" : "towards"} ${anchor.name} by ${formatVec(translate)}.`;
    } else {
      const unread = unreadMoveWords(after);
      if (unread.length > 0)
        throw new PlanRefusal(
          `I could not read "${unread.join(" ")}" in where to move ${object.name}. e.g. "move it up by 2", "move it left 3 and up 1", "move it closer to the sphere".`,
        );
      const pairs = directionAmounts(after);
      if (pairs.length >= 2) {
        const translate = roundVec(
          pairs.reduce<Vec3>((sum, [direction, amount]) => sum.map((value, axis) => value + direction[axis]! * amount) as Vec3, [0, 0, 0]),
        );
        args.translate = translate;
        summary = `Moved ${object.name} by ${formatVec(translate)}.`;
        push(state, "update_object", args, summary);
        world.moveBy(object, translate);
        moved.push(object.name);
        continue;
      }
      const direction = readDirection(`${verb} ${after}`);
      if (!direction)
        throw new PlanRefusal(
          `Where should ${object.name} go? e.g. "move the ${object.primitive ?? "object"} up by 2" or "move it to 1, 2, 0".`,
        );
      // "a bit", "slightly": half a meter; otherwise a meter unless a distance is given.
      const amount = readAmount(after) ?? (/\b(?:a (?:little|bit|touch)|slightly|a tad)\b/.test(after) ? 0.5 : 1);
      const translate = roundVec(direction.map((value) => value * amount));
      args.translate = translate;
      summary = `Moved ${object.name} by ${formatVec(translate)}.`;
    }
    push(state, "update_object", args, summary);
    // Resting on a group (a table) means moving with it: "put the lamp on the table, move the table".
    if (
      relation?.relation === "on" &&
      relation.anchor.kind === "group" &&
      !vector &&
      hasTool("set_parent") &&
      object.parent !== relation.anchor.name
    ) {
      pushTool(
        state,
        "set_parent",
        { object: object.name, parent: relation.anchor.name },
        `${object.name} now moves with ${relation.anchor.name}.`,
      );
      object.parent = relation.anchor.name;
      relation.anchor.children = [...(relation.anchor.children ?? []), object.name];
    }
    const offset = args.location
      ? ((args.location as Vec3).map((value, axis) => value - object.location[axis]!) as Vec3)
      : ((args.translate as Vec3 | undefined) ?? [0, 0, 0]);
    world.moveBy(object, offset);
    moved.push(object.name);
  }
  world.focus = moved;
  return true;
};

export const handleRotate: Handler = (clause, state) => {
  const match = /^(?:rotate|turn|spin|tilt|flip|twist|set the rotation of)\s+/.exec(clause.text);
  if (!match) return false;
  const verb = match[0].trim();
  const rest = clause.text.slice(match[0].length);
  const degreesGiven = readDegrees(rest);
  if (verb === "turn" && degreesGiven === undefined && !/\b(?:around|upside down|sideways|clockwise|counter-?clockwise)\b/.test(rest))
    return false;
  const reference = leadingReference(rest, state, "rotate");
  const after = rest.slice(reference.end);
  const axisMatch = /\b(?:around|about|on|along|in|over)\s+(?:the\s+)?([xyz])(?:[- ]?axis)?\b|\b([xyz])[- ]?axis\b/.exec(after);
  let axis = axisMatch
    ? "xyz".indexOf((axisMatch[1] ?? axisMatch[2])!)
    : /^(?:tilt|flip)$/.test(verb) || /\bupside down\b/.test(after)
      ? 0
      : 2;
  if (/\bsideways\b/.test(after)) axis = 1;
  // "45 degrees on the x axis and 30 on z": an angle for each axis named.
  const perAxis = [
    ...after.matchAll(/(-?\d+(?:\.\d+)?)\s*(?:°|degrees?|degs?)?\s*(?:on|around|about|along|in)\s+(?:the\s+)?([xyz])(?:[- ]?axis)?\b/g),
  ];
  if (perAxis.length >= 2) {
    const rotated: string[] = [];
    for (const object of reference.objects) {
      const rotation = [...object.rotation] as Vec3;
      for (const entry of perAxis) rotation["xyz".indexOf(entry[2]!)] = rotation["xyz".indexOf(entry[2]!)]! + Number(entry[1]);
      const rounded = roundVec(rotation);
      push(
        state,
        "update_object",
        { name: object.name, rotation: rounded },
        `Rotated ${object.name} (rotation now ${formatVec(rounded)}).`,
      );
      object.rotation = rounded;
      rotated.push(object.name);
    }
    state.world.focus = rotated;
    return true;
  }
  let degrees = readDegrees(after) ?? (verb === "flip" ? 180 : verb === "tilt" ? 30 : /\bsideways\b/.test(after) ? 90 : undefined);
  const absolute = /^set the rotation of$/.test(verb) || /\bto (-?\d+(?:\.\d+)?)\s*(?:°|degrees?)?/.test(after);
  const vector = readVector(after);
  const unread = after
    .replace(/-?\d+(?:\.\d+)?\s*(?:°|degrees?|degs?|deg)?/g, " ")
    .split(/[\s,()[\]]+/)
    .filter(
      (word) =>
        word &&
        !/^(?:by|to|the|a|an|and|around|about|on|along|in|over|axis|x|y|z|x-axis|y-axis|z-axis|clockwise|counter-?clockwise|anti-?clockwise|counterclockwise|quarter|half|turn|upside|down|sideways|it|them|more|degrees?|°|again|back|so|that|is|of)$/.test(
          word,
        ),
    );
  if (unread.length > 0)
    throw new PlanRefusal(
      `I could not read "${unread.join(" ")}" in how to rotate. e.g. "rotate the cone 45 degrees", "rotate the cube 90 degrees around x", "turn it upside down".`,
    );
  if (degrees === undefined && !vector)
    throw new PlanRefusal(`How far should I rotate it? e.g. "rotate the cone 45 degrees" or "rotate the cube 90 degrees around x".`);
  if (degrees !== undefined && /\bclockwise\b/.test(after) && !/counter|anti/.test(after)) degrees = -Math.abs(degrees);
  const rotated: string[] = [];
  for (const object of reference.objects) {
    let rotation: Vec3;
    if (vector && (absolute || !degrees)) rotation = vector;
    else {
      rotation = absolute ? [0, 0, 0] : [...object.rotation];
      rotation[axis] = (absolute ? 0 : rotation[axis]!) + (degrees ?? 0);
    }
    rotation = roundVec(rotation);
    push(
      state,
      "update_object",
      { name: object.name, rotation },
      degrees !== undefined && !absolute
        ? `Rotated ${object.name} ${degrees}° around ${"xyz"[axis]} (rotation now ${formatVec(rotation)}).`
        : `Set ${object.name}'s rotation to ${formatVec(rotation)}.`,
    );
    object.rotation = rotation;
    rotated.push(object.name);
  }
  state.world.focus = rotated;
  return true;
};

/** A scale change read from words: a factor on the current scale, or an absolute scale. */
export type ScaleChange = { factor: Vec3 } | { absolute: number } | { size: number; axis: number } | { axis: number; value: number };

export function readScaleChange(text: string): ScaleChange | undefined {
  // "to 2 on z", "by 3 along x": a factor or a size for one axis.
  const axial = /\b(to|by)\s+(\d+(?:\.\d+)?)\s+(?:on|along|in)\s+(?:the\s+)?([xyz])(?:[- ]?axis)?\b/.exec(text);
  if (axial) {
    const axis = "xyz".indexOf(axial[3]!);
    const value = Number(axial[2]);
    if (axial[1] === "by") {
      const factor: Vec3 = [1, 1, 1];
      factor[axis] = value;
      return { factor };
    }
    return { axis, value };
  }
  const measured = /(\d+(?:\.\d+)?)\s*(?:m|meters?|metres?|units?)\s+(tall|high|wide|long|across|big|in size|in diameter)\b/.exec(text);
  if (measured) return { size: Number(measured[1]), axis: /tall|high/.test(measured[2]!) ? 2 : 0 };
  // "50% bigger", "bigger by 50%", "scale by 50%": percentages are factors, never scales of 50.
  const percent =
    /(\d+(?:\.\d+)?)\s*%\s*(bigger|larger|smaller)\b|\b(bigger|larger|smaller)\s+by\s+(\d+(?:\.\d+)?)\s*%|\bby\s+(\d+(?:\.\d+)?)\s*%|\bto\s+(\d+(?:\.\d+)?)\s*%/.exec(
      text,
    );
  if (percent) {
    const value = Number(percent[1] ?? percent[4] ?? percent[5] ?? percent[6]) / 100;
    const direction = percent[2] ?? percent[3];
    const factor = direction === "smaller" ? 1 - value : direction ? 1 + value : value;
    if (factor <= 0) return undefined;
    return { factor: [factor, factor, factor] };
  }
  // "twice as tall", "three times as wide", "half as long": the factor binds to that one side.
  const sided =
    /\b(twice|double|half|(\d+(?:\.\d+)?|two|three|four|five|ten)\s+times)\s+(?:as\s+)?(tall|taller|high|higher|wide|wider|long|longer|deep|deeper|thick|thicker)\b/.exec(
      text,
    );
  if (sided) {
    const value = sided[1] === "twice" || sided[1] === "double" ? 2 : sided[1] === "half" ? 0.5 : (readCount(sided[2]) ?? Number(sided[2]));
    const axis = /^(?:tall|high)/.test(sided[3]!) ? 2 : /^(?:wide|thick)/.test(sided[3]!) ? 0 : 1;
    const factor: Vec3 = [1, 1, 1];
    factor[axis] = value;
    if (/^thick/.test(sided[3]!)) factor[1] = value;
    return { factor };
  }
  const times = /(\d+(?:\.\d+)?|two|three|four|five|ten)\s+times\s+(?:as\s+)?(?:big|bigger|large|larger|the size)/.exec(text);
  if (times) {
    const value = readCount(times[1]) ?? Number(times[1]);
    return { factor: [value, value, value] };
  }
  if (/\b(?:twice|double|2x)\b/.test(text)) return { factor: [2, 2, 2] };
  if (/\b(?:triple|three times|3x)\b/.test(text)) return { factor: [3, 3, 3] };
  // "half" scales only where it modifies a size ("half as big", "half the size"), never "half transparent".
  if (/\bhalve\b|\bhalf (?:as (?:big|large|tall|wide|high|long)|the size|size|its size)\b|\bby half\b|\bin half\b/.test(text))
    return { factor: [0.5, 0.5, 0.5] };
  if (/\b(?:a (?:little|bit|touch)|slightly|somewhat) (?:bigger|larger)\b/.test(text)) return { factor: [1.2, 1.2, 1.2] };
  if (/\b(?:a (?:little|bit|touch)|slightly|somewhat) smaller\b/.test(text)) return { factor: [1 / 1.2, 1 / 1.2, 1 / 1.2] };
  if (/\b(?:a (?:little|bit|touch)|slightly|somewhat) taller\b/.test(text)) return { factor: [1, 1, 1.2] };
  if (/\b(?:a (?:little|bit|touch)|slightly|somewhat) wider\b/.test(text)) return { factor: [1.2, 1, 1] };
  const by = /\bby (?:a factor of )?(\d+(?:\.\d+)?)\b/.exec(text);
  if (by) return { factor: [Number(by[1]), Number(by[1]), Number(by[1])] };
  const to = /\b(?:to|size|scale)\s*(?:of\s*|=\s*)?(\d+(?:\.\d+)?)\b/.exec(text) ?? /^\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (to) return { absolute: Number(to[1]) };
  if (/\b(?:much bigger|much larger)\b/.test(text)) return { factor: [2, 2, 2] };
  if (/\b(?:much smaller)\b/.test(text)) return { factor: [0.5, 0.5, 0.5] };
  if (/\b(?:bigger|larger|grow|enlarge)\b/.test(text)) return { factor: [1.5, 1.5, 1.5] };
  if (/\b(?:smaller|shrink)\b/.test(text)) return { factor: [1 / 1.5, 1 / 1.5, 1 / 1.5] };
  if (/\b(?:taller|higher)\b/.test(text)) return { factor: [1, 1, 1.5] };
  if (/\b(?:shorter|flatter)\b/.test(text)) return { factor: [1, 1, 1 / 1.5] };
  if (/\b(?:wider|broader)\b/.test(text)) return { factor: [1.5, 1, 1] };
  if (/\b(?:narrower|thinner)\b/.test(text)) return { factor: [1 / 1.5, 1, 1] };
  if (/\b(?:longer|deeper)\b/.test(text)) return { factor: [1, 1.5, 1] };
  // "make it small"; but "a little more red" is not a size.
  for (const [word, size] of Object.entries(SIZE_WORDS)) if (new RegExp(`(?<!\\ba )\\b${word}\\b`).test(text)) return { absolute: size };
  return undefined;
}

function applyScale(object: WorldObject, change: ScaleChange): number | Vec3 {
  let factor: Vec3 | undefined;
  if ("size" in change) {
    // "2 meters tall": scale evenly so that side measures the size.
    const current = object.dimensions[change.axis] || object.dimensions[0] || 2;
    const value = change.size / current;
    factor = [value, value, value];
  } else if ("factor" in change) factor = change.factor;
  if ("value" in change) {
    const next = [...object.scale] as Vec3;
    next[change.axis] = change.value;
    const clamped = roundVec(next.map((value) => Math.min(10_000, Math.max(0.001, value))));
    return clamped[0] === clamped[1] && clamped[1] === clamped[2] ? clamped[0] : clamped;
  }
  const next: Vec3 =
    "absolute" in change
      ? [change.absolute, change.absolute, change.absolute]
      : (object.scale.map((value, axis) => value * factor![axis]!) as Vec3);
  const clamped = roundVec(next.map((value) => Math.min(10_000, Math.max(0.001, value))));
  return clamped[0] === clamped[1] && clamped[1] === clamped[2] ? clamped[0] : clamped;
}

function recordScale(object: WorldObject, scale: number | Vec3): void {
  const next: Vec3 = typeof scale === "number" ? [scale, scale, scale] : scale;
  object.dimensions = object.dimensions.map((value, axis) =>
    object.scale[axis] ? (value / object.scale[axis]!) * next[axis]! : value,
  ) as Vec3;
  object.scale = next;
}

/** Plans the update_object call that rescales `object`, and keeps the planner's view of it in step. */
export function planScale(state: PlanState, object: WorldObject, change: ScaleChange): void {
  const scale = applyScale(object, change);
  push(
    state,
    "update_object",
    { name: object.name, scale },
    `Scaled ${object.name} to ${typeof scale === "number" ? scale : formatVec(scale)}.`,
  );
  recordScale(object, scale);
}

export const handleScale: Handler = (clause, state) => {
  const match =
    /^(?:scale|resize|shrink|grow|enlarge|stretch|double(?: the size of)?|triple(?: the size of)?|halve(?: the size of)?)\s+/.exec(
      clause.text,
    );
  if (!match) return false;
  const verb = match[0].trim();
  const rest = clause.text.slice(match[0].length);
  const reference = leadingReference(rest, state, "scale");
  const after = `${/^(?:shrink|grow|enlarge|double|triple|halve)/.test(verb) ? verb : ""} ${rest.slice(reference.end)}`;
  const change = readScaleChange(after) ?? (verb === "stretch" ? { factor: [1, 1, 1.5] as Vec3 } : undefined);
  if (!change)
    throw new PlanRefusal(`How big should it be? e.g. "scale the cube by 2", "make the sphere twice as big", "resize the cone to 0.5".`);
  const scaled: string[] = [];
  for (const object of reference.objects) {
    planScale(state, object, change);
    scaled.push(object.name);
  }
  state.world.focus = scaled;
  return true;
};

const DIRECTION_WORD = "(up|upwards?|higher|down|downwards?|lower|left|right|forwards?|backwards?|back)";
const AMOUNT = String.raw`(-?\d+(?:\.\d+)?)\s*(?:units?|meters?|metres?|m)?`;

/** Each direction with its own distance: "up 2 and left 3", "2 m left and 1 up". */
function directionAmounts(text: string): Array<[Vec3, number]> {
  const pairs: Array<[Vec3, number]> = [];
  const pattern = new RegExp(String.raw`\b${DIRECTION_WORD}\s+(?:by\s+)?${AMOUNT}|${AMOUNT}\s+${DIRECTION_WORD}\b`, "g");
  for (const match of text.matchAll(pattern)) {
    const word = match[1] ?? match[4]!;
    const direction = readDirection(word);
    if (direction) pairs.push([direction, Number(match[2] ?? match[3])]);
  }
  return pairs;
}

/** Words of a move by direction that nothing reads ("up by twice its size": "twice", "its", "size"). */
function unreadMoveWords(text: string): string[] {
  return text
    .replace(/\b(?:a (?:little|bit|touch|tad)|slightly)\b/g, " ")
    .split(/[\s,]+/)
    .filter(
      (word) =>
        word &&
        !/^(?:-?\d+(?:\.\d+)?|by|and|then|to|the|a|of|units?|meters?|metres?|m|up|upwards?|higher|down|downwards?|lower|left|right|forwards?|backwards?|back|away|further|farther|closer|side|more|little|bit|camera|front|towards?|toward|raise|lift|drop|it|them|over|again|some|too|also)$/.test(
          word,
        ),
    );
}
