// The handler that changes how objects look: color, surface (metallic, glossy, glowing,
// transparent) and size, for one object or several ("make the cube and the cone red").
import { parseColorToSrgb } from "@bod/contracts";
import { describeMaterial, materialArgs } from "../materials.ts";
import { type Handler, push } from "../plan-state.ts";
import { findReferences } from "../references.ts";
import { readColor, readMaterial } from "../values.ts";
import { PlanRefusal, SceneNeeded, type Vec3 } from "../world.ts";
import { OBJECT_PHRASE } from "./add-handlers.ts";
import { planScale, readScaleChange } from "./transform-handlers.ts";

export const handleEdit: Handler = (clause, state) => {
  const match =
    /^(?:make|color|colour|paint|turn|change|set|give|recolou?r|dye|tint|change the colou?r of|set the colou?r of|change the material of|set the material of)\s+/.exec(
      clause.text,
    );
  if (!match) return false;
  const rest = clause.text.slice(match[0].length);
  // "make a red cube" adds.
  if (/^(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|\d+|some|several|few)\b/.test(rest)) return false;
  const references = findReferences(rest, state);
  const reference = references[0];
  if (!reference && !state.world.authoritative && !OBJECT_PHRASE.test(rest)) throw new SceneNeeded();
  if (!reference && !state.world.authoritative && /^[\w.-]+\s/.test(rest) && !/^(?:the|this|that)\b/.test(rest)) throw new SceneNeeded();
  if (!reference) return false;
  // Everything after the last reference says what to change ("make the cube and the cone red").
  const targets = references.filter(
    (entry) =>
      entry.index === reference.index ||
      /^[\s,]*(?:and|,)\s*$/.test(rest.slice(references[references.indexOf(entry) - 1]?.end ?? 0, entry.index)),
  );
  const last = targets[targets.length - 1]!;
  const after = rest.slice(last.end);
  const color = readColor(after.replace(/\bglow(?:ing|s)?\b/g, " "));
  const material = readMaterial(after);
  const scaleChange = readScaleChange(after.replace(/\b(?:light|dark)\b/g, ""));
  const edited: string[] = [];
  if (!color && !material && !scaleChange) {
    throw new PlanRefusal(
      `What should change about ${reference.phrase}? e.g. a color ("blue", "#ff8800"), a surface (metallic, glossy, matte, glowing, transparent) or a size (bigger, twice as big).`,
    );
  }
  for (const object of targets.flatMap((entry) => entry.objects)) {
    if (edited.includes(object.name)) continue;
    if (object.kind === "light") {
      if (!color) throw new PlanRefusal(`${object.name} is a light: I can change its color, move it or delete it.`);
      push(state, "update_object", { name: object.name, color }, `Made ${object.name} ${color}.`);
      edited.push(object.name);
      continue;
    }
    const surface = materialArgs(material, color);
    if (Object.keys(surface).length > 0) {
      const args = { name: object.name, ...(color ? { color } : {}), ...surface };
      push(state, "set_material", args, `Made ${object.name} ${describeMaterial(args)}.`);
    } else if (color) {
      push(state, "update_object", { name: object.name, color }, `Made ${object.name} ${color}.`);
    }
    if (scaleChange) {
      planScale(state, object, scaleChange);
    }
    const newColor = color ?? material?.color;
    if (newColor) object.color = parseColorToSrgb(newColor) as Vec3 | undefined;
    edited.push(object.name);
  }
  state.world.focus = edited;
  return true;
};
