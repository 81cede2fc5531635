// Handlers for motion and video: "make the cube spin once over two seconds", "move the sphere up by
// 2 over 3 seconds", "make the ball bounce", and "render a video" (insert_keyframe, set_timeline,
// render_animation). Planned only where the animation tools are in the contracts.
import { MAX_RESOLUTION } from "@bod/contracts";
import { type Handler, hasTool, type PlanState, pushTool } from "../plan-state.ts";
import { firstReference } from "../references.ts";
import { formatVec, readAmount, readCount, readDirection, readVector, round, roundVec } from "../values.ts";
import { PlanRefusal, type Vec3, type WorldObject } from "../world.ts";
import { handleRotate } from "./transform-handlers.ts";

const NUMBER_WORD = String.raw`\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|a|an|half a`;
const DURATION = new RegExp(
  String.raw`\s*\b(?:over|in|for|during|within|across)\s+(?:the\s+(?:next|first)\s+)?(${NUMBER_WORD})\s*(seconds?|secs?|s|frames?|minutes?|mins?)\b`,
);

/** A duration in the clause ("over two seconds", "in 48 frames"), in frames, and the clause without it. */
export function readDuration(text: string, fps: number): { frames: number; rest: string } | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const amount = match[1] === "half a" ? 0.5 : (readCount(match[1]) ?? Number(match[1]));
  const unit = match[2]!;
  const frames = Math.round(/^frame/.test(unit) ? amount : /^min/.test(unit) ? amount * 60 * fps : amount * fps);
  return { frames, rest: `${text.slice(0, match.index)}${text.slice(match.index + match[0].length)}`.trim() };
}

function key(state: PlanState, object: WorldObject, property: string, frame: number, value: unknown, interpolation: string): void {
  pushTool(
    state,
    "insert_keyframe",
    { object: object.name, property, frame, value, interpolation },
    `Keyed ${object.name}'s ${property} at frame ${frame}: ${Array.isArray(value) ? formatVec(value as number[]) : String(value)}.`,
  );
}

/** Makes the timeline run from the first frame to the end of the newest motion, so the video holds it all. */
function stretchTimeline(state: PlanState, lastFrame: number): void {
  const { world } = state;
  const start = world.timeline.frameStart;
  const end = Math.max(lastFrame, world.timeline.planned ? world.timeline.frameEnd : start + 1);
  pushTool(
    state,
    "set_timeline",
    { frameStart: start, frameEnd: end },
    `Set the timeline to frames ${start}..${end} (${round((end - start + 1) / world.timeline.fps)} s at ${world.timeline.fps} fps).`,
  );
  world.timeline = { ...world.timeline, frameEnd: end, planned: true };
}

const SPIN = /^(?:make|have|let|get)\s+(.+?)\s+(?:spin|rotate|turn|twirl|revolve)\b(.*)$|^(?:spin|rotate|turn|twirl|animate)\s+(.+)$/;
const BOUNCE = /^(?:make|have|let)\s+(.+?)\s+(?:bounce|jump|hop)\b(.*)$/;
const MOVE = /^(?:make|have|let)\s+(.+?)\s+(?:move|slide|fly|rise|sink|drift)\b(.*)$|^(?:move|slide|animate)\s+(.+)$/;

export const handleAnimate: Handler = (clause, state) => {
  if (!hasTool("insert_keyframe") || !hasTool("set_timeline")) return false;
  const text = clause.text;
  const { world } = state;
  const fps = world.timeline.fps;
  const start = world.timeline.frameStart;

  const spin = SPIN.exec(text);
  if (spin) {
    const made = spin[1] !== undefined;
    const words = made ? `${spin[1]} ${spin[2]}` : spin[3]!;
    const duration = readDuration(words, fps);
    // "spin the cube 90 degrees" is a turn now, not a motion.
    if (!duration && !made) return false;
    const rest = duration?.rest ?? words;
    const reference = firstReference(rest, state, "spin");
    let after = rest.slice(reference.end);
    const axisMatch = /\s*\b(?:around|about|on|along)\s+(?:the\s+)?([xyz])(?:[- ]?axis)?\b/.exec(after);
    if (axisMatch) after = after.replace(axisMatch[0], " ");
    // "slowly", "fast": seconds per turn where no duration is given.
    const pace = /\s*\b(slowly|slow|fast|quickly|quick|rapidly)\b/.exec(after);
    if (pace) after = after.replace(pace[0], " ");
    // "make the cube rotate 90 degrees" without a duration is a turn now.
    if (
      made &&
      !duration &&
      /^\s*-?\d+(?:\.\d+)?\s*(?:°|degrees?)\s*$/.test(after.replace(/\b(?:clockwise|counter-?clockwise|anti-?clockwise)\b/, "")) &&
      !pace
    )
      return handleRotate({ text: `rotate ${rest}`, original: `rotate ${rest}` }, state);
    const turnsMatch =
      /^\s*(?:(once|twice|thrice)|(\w+|\d+) (?:times|turns|full turns|rotations)|(a full turn|a full circle|all the way around|one full turn|a full rotation)|(-?\d+(?:\.\d+)?)\s*(?:°|degrees?))?\s*(clockwise|counter-?clockwise|anti-?clockwise)?\s*(forever|in a loop|continuously|around)?\s*$/.exec(
        after,
      );
    if (!turnsMatch)
      throw new PlanRefusal(
        `I could not read "${after.trim()}" in a spin. e.g. "make the cube spin once over two seconds" or "spin the cube twice in 4 seconds around x".`,
      );
    const turns = turnsMatch[1]
      ? { once: 1, twice: 2, thrice: 3 }[turnsMatch[1] as "once"]
      : turnsMatch[2]
        ? readCount(turnsMatch[2])
        : turnsMatch[3]
          ? 1
          : undefined;
    if (turnsMatch[2] && turns === undefined)
      throw new PlanRefusal(`How many turns is "${turnsMatch[2]}"? e.g. "spin the cube 3 times over 4 seconds".`);
    const degrees = turnsMatch[4] !== undefined ? Number(turnsMatch[4]) : (turns ?? 1) * 360;
    const sign = turnsMatch[5] && !/counter|anti/.test(turnsMatch[5]) ? -1 : 1;
    const axis = axisMatch ? "xyz".indexOf(axisMatch[1]!) : 2;
    const secondsPerTurn = pace ? (/slow/.test(pace[1]!) ? 4 : 1) : 2;
    const frames = duration?.frames ?? Math.round((secondsPerTurn * fps * degrees) / 360);
    if (frames < 1) throw new PlanRefusal("A motion needs at least one frame.");
    for (const object of reference.objects) {
      const from = roundVec(object.rotation);
      const to = [...from] as Vec3;
      to[axis] = round(to[axis]! + sign * degrees);
      key(state, object, "rotation", start, from, "linear");
      key(state, object, "rotation", start + frames, to, "linear");
    }
    // A whole number of turns loops: the last frame shown is the one before the turn completes.
    stretchTimeline(state, start + frames - (degrees % 360 === 0 ? 1 : 0));
    world.focus = reference.objects.map((object) => object.name);
    return true;
  }

  const bounce = BOUNCE.exec(text);
  if (bounce) {
    const duration = readDuration(bounce[2]!, fps);
    const reference = firstReference(bounce[1]!, state, "bounce");
    const timesMatch = /^\s*(?:(once|twice|thrice)|(\w+|\d+) times)?\s*$/.exec(duration?.rest ?? bounce[2]!);
    if (!timesMatch)
      throw new PlanRefusal(
        `I could not read "${(duration?.rest ?? bounce[2]!).trim()}" in a bounce. e.g. "make the ball bounce 3 times over 3 seconds".`,
      );
    const times = timesMatch[1]
      ? { once: 1, twice: 2, thrice: 3 }[timesMatch[1] as "once"]
      : timesMatch[2]
        ? readCount(timesMatch[2])
        : undefined;
    const frames = duration?.frames ?? (times ?? 2) * fps;
    const count = times ?? Math.max(1, Math.round(frames / fps));
    for (const object of reference.objects) {
      const height = round(Math.max(0.5, (object.dimensions[2] || 2) * 1));
      const step = frames / count;
      for (let index = 0; index <= count; index++) {
        key(state, object, "location", Math.round(start + index * step), roundVec(object.location), "bezier");
        if (index < count)
          key(
            state,
            object,
            "location",
            Math.round(start + (index + 0.5) * step),
            roundVec([object.location[0], object.location[1], object.location[2] + height]),
            "bezier",
          );
      }
    }
    stretchTimeline(state, start + frames);
    world.focus = reference.objects.map((object) => object.name);
    return true;
  }

  const move = MOVE.exec(text);
  if (move) {
    const words = move[1] !== undefined ? `${move[1]} ${move[2]}` : move[3]!;
    const duration = readDuration(words, fps);
    if (!duration) return false;
    const reference = firstReference(duration.rest, state, "move");
    const after = duration.rest.slice(reference.end);
    const target = readVector(after);
    const direction = target ? undefined : readDirection(after);
    if (!target && !direction)
      throw new PlanRefusal(
        `Where should it move over that time? e.g. "move the sphere up by 2 over 3 seconds" or "move the cube to 0, 3, 0 in 2 seconds".`,
      );
    const amount = readAmount(after) ?? 1;
    for (const object of reference.objects) {
      const from = roundVec(object.location);
      const to =
        target && !/\bby\b/.test(after)
          ? roundVec(target)
          : roundVec(from.map((value, axis) => value + (target ? target[axis]! : direction![axis]! * amount)));
      key(state, object, "location", start, from, "bezier");
      key(state, object, "location", start + duration.frames, to, "bezier");
    }
    stretchTimeline(state, start + duration.frames);
    world.focus = reference.objects.map((object) => object.name);
    return true;
  }
  return false;
};

const VIDEO_WORDS = /\b(?:video|animation|animated|movie|mp4|gif|clip|png sequence|image sequence|frames as pngs?)\b/;

export const handleRenderAnimation: Handler = (clause, state) => {
  const text = clause.text;
  if (!VIDEO_WORDS.test(text) || !/^(?:render|make|create|export|give me|save|produce|record|show me|i want|get)\b/.test(text))
    return false;
  if (!hasTool("render_animation")) return false;
  const format = /\bgif\b/.test(text) ? "gif" : /\b(?:png|image) sequence\b|\bframes as pngs?\b/.test(text) ? "png_sequence" : "mp4";
  const args: Record<string, unknown> = {
    format,
    preset: /\b(?:final|high[- ]quality|full quality|best quality)\b/.test(text) ? "final" : "preview",
  };
  const size = /(\d{2,5})\s*(?:x|×|by)\s*(\d{2,5})\b/.exec(text);
  if (size) {
    const [width, height] = [Number(size[1]), Number(size[2])];
    if (width < 16 || height < 16 || width > MAX_RESOLUTION || height > MAX_RESOLUTION)
      throw new PlanRefusal(`A video's width and height must be between 16 and ${MAX_RESOLUTION} pixels (asked for ${width}x${height}).`);
    if (format === "mp4" && (width % 2 === 1 || height % 2 === 1))
      throw new PlanRefusal(`An mp4 needs an even width and height (asked for ${width}x${height}).`);
    args.width = width;
    args.height = height;
  }
  const engine = /\b(eevee|cycles|workbench)\b/.exec(text)?.[1];
  if (engine) args.engine = engine;
  pushTool(
    state,
    "render_animation",
    args,
    `Rendered the animation as ${format === "png_sequence" ? "a zip of PNG frames" : format === "gif" ? "a GIF" : "an MP4"}${size ? ` at ${args.width}×${args.height}` : ""}.`,
  );
  return true;
};
