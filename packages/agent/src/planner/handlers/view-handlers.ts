// Handlers for how the scene is seen: the background (set_world) and the camera (set_camera: a
// position, a named view, a target, zoom and lens).
import { describeObjects } from "../descriptions.ts";
import { CAMERA_VIEWS } from "../lexicon.ts";
import { type Handler, push } from "../plan-state.ts";
import { findReferences } from "../references.ts";
import { formatVec, readColor, readVector, round, roundVec } from "../values.ts";
import { PlanRefusal, SceneNeeded, type Vec3 } from "../world.ts";

export const handleWorld: Handler = (clause, state) => {
  const text = clause.text;
  if (!/\b(?:background|backdrop|world|environment|the sky)\b/.test(text)) return false;
  const args: Record<string, unknown> = {};
  const color = readColor(text.replace(/\b(?:background|backdrop|world|environment)\b|\bthe sky\b/g, " "));
  if (color) args.color = color;
  else if (/\bdark(?:er)?\b/.test(text)) args.color = "#1a1a1a";
  else if (/\blight(?:er)?\b|\bbright(?:er)?\b/.test(text)) args.color = "#e6e6e6";
  const strength =
    /\b(?:strength|brightness|intensity)\s*(?:of\s*|to\s*|=\s*)?(\d+(?:\.\d+)?)/.exec(text) ??
    /(\d+(?:\.\d+)?)\s*(?:strength|brightness)/.exec(text);
  if (strength) args.strength = Number(strength[1]);
  if (Object.keys(args).length === 0)
    throw new PlanRefusal(`What should the background be? Give a color, e.g. "make the background black" or "background #202030".`);
  push(
    state,
    "set_world",
    args,
    `Set the background${args.color ? ` to ${args.color}` : ""}${args.strength !== undefined ? ` with strength ${args.strength}` : ""}.`,
  );
  return true;
};

export const handleCamera: Handler = (clause, state) => {
  const text = clause.text;
  if (
    !/\bcamera\b|^(?:use|switch to|give me|set) (?:an? |the )?(?:wide[- ]angle|telephoto|\d+(?:\.\d+)?\s*mm) lens$|^(?:look|view|see|show)(?:ing)?\s+(?:it\s+|the scene\s+|everything\s+)?(?:from|at|down)\b|\b(?:top|front|side|back|bottom|isometric) view\b|^zoom\b|^(?:focus on|frame)\b|\bpoint of view\b/.test(
      text,
    )
  )
    return false;
  const { world } = state;
  const args: Record<string, unknown> = {};
  const parts: string[] = [];
  const aimWords =
    /\b(?:look(?:ing|s)? at|aim(?:ed|ing)?(?: it| the camera)? at|point(?:ed|ing)?(?: it| the camera)? at|facing|towards?|focus(?:ed|ing)? on|zoom(?:ed)?(?: in)? on)\b(.*)$/;
  const explicit = readVector(text.replace(aimWords, ""));
  const lookAt = aimWords.exec(text);
  let target: Vec3 | undefined;
  if (lookAt) {
    const vector = readVector(lookAt[1]!);
    if (vector) target = vector;
    else if (!/^\s*(?:it|the scene|everything|all|the origin|the center|the centre)?\s*$/.test(lookAt[1]!)) {
      const reference = findReferences(lookAt[1]!, state)[0];
      if (reference) {
        const center: Vec3 = [0, 0, 0];
        for (const object of reference.objects)
          for (let axis = 0; axis < 3; axis++) center[axis]! += object.location[axis]! / reference.objects.length;
        target = center;
        parts.push(`aimed at ${reference.objects.map((object) => object.name).join(", ")}`);
      } else if (!world.authoritative) throw new SceneNeeded();
      else throw new PlanRefusal(`I could not tell what to look at in "${lookAt[1]!.trim()}". ${describeObjects(world)}`);
    } else target = world.bounds().center;
  }
  const view = CAMERA_VIEWS.find(([pattern]) => pattern.test(text.replace(/\bcamera\b/g, "")));
  if (explicit && /\b(?:at|to|location|position)\b/.test(text)) {
    args.location = explicit;
    parts.unshift(`moved the camera to ${formatVec(explicit)}`);
  } else if (view) {
    const bounds = world.bounds();
    const aim = target ?? bounds.center;
    const distance = Math.max(12, bounds.radius * 4);
    const direction = view[1];
    const length = Math.hypot(...direction);
    args.location = roundVec(direction.map((value, axis) => aim[axis]! + (value / length) * distance));
    target ??= aim;
    parts.unshift(`looking ${view[2]}`);
  }
  if (
    /\bzoom(?:ed)? in\b|\bcloser\b|\btighter\b/.test(text) ||
    /\bzoom(?:ed)? out\b|\bfurther\b|\bfarther\b|\bwider\b(?! angle)/.test(text)
  ) {
    const zoomIn = /\bzoom(?:ed)? in\b|\bcloser\b|\btighter\b/.test(text);
    if (!world.authoritative && !world.cameraPlanned) throw new SceneNeeded();
    const lens = world.camera?.lens ?? 50;
    args.lens = round(Math.min(5000, Math.max(1, zoomIn ? lens * 1.5 : lens / 1.5)));
    parts.push(`zoomed ${zoomIn ? "in" : "out"} to a ${args.lens} mm lens`);
  }
  const lens = /(\d+(?:\.\d+)?)\s*mm\b|\blens\s*(?:of\s*|to\s*)?(\d+(?:\.\d+)?)/.exec(text);
  if (lens) {
    args.lens = Number(lens[1] ?? lens[2]);
    parts.push(`a ${args.lens} mm lens`);
  } else if (/\bwide[- ]angle\b/.test(text)) {
    args.lens = 24;
    parts.push("a wide-angle 24 mm lens");
  } else if (/\btelephoto\b/.test(text)) {
    args.lens = 85;
    parts.push("an 85 mm lens");
  }
  if (target) args.target = roundVec(target);
  if (Object.keys(args).length === 0)
    throw new PlanRefusal(`Where should the camera go? e.g. "look from above", "camera at 0, -10, 3", "look at the cube", "zoom in".`);
  if (args.target && !parts.some((part) => part.startsWith("aimed"))) parts.push(`aimed at ${formatVec(args.target as Vec3)}`);
  push(state, "set_camera", args, `Set the camera: ${parts.join(", ")}.`);
  if (args.location) world.camera = { location: args.location as Vec3, lens: (args.lens as number | undefined) ?? world.camera?.lens };
  world.cameraPlanned = true;
  return true;
};
