// The handler that puts an image on an object ("use this image as the floor's texture"): the image
// is the newest one the project has (an upload or a render), by its artifact id (set_texture).
import { type Handler, hasTool, pushTool } from "../plan-state.ts";
import { firstReference } from "../references.ts";
import { PlanRefusal } from "../world.ts";

const IMAGE = String.raw`(?:this|that|the|my|the last|the uploaded|the new)\s+(?:image|picture|photo|texture|upload|uploaded image|render|rendered image|png|jpe?g)`;
const MAP =
  "(texture|image|colou?r(?: map)?|base colou?r(?: map)?|diffuse(?: map)?|albedo|roughness(?: map)?|normal(?: map)?|bump(?: map)?)";
const PATTERNS: readonly RegExp[] = [
  new RegExp(String.raw`^(?:use|put|apply|set|map|make)\s+${IMAGE}\s+(?:as|on|onto|to|for)\s+(.+?)(?:\s+${MAP})?$`),
  new RegExp(String.raw`^(?:texture|cover|wrap|skin)\s+(.+?)\s+(?:with|in|using)\s+${IMAGE}(?:\s+as (?:its|a)\s+${MAP})?$`),
  new RegExp(String.raw`^(?:use|give)\s+(.+?)\s+${IMAGE}\s+as\s+(?:its|a)\s+${MAP}$`),
];

export const handleTexture: Handler = (clause, state) => {
  const match = PATTERNS.map((pattern) => pattern.exec(clause.text)).find((found) => found !== null);
  if (!match || !hasTool("set_texture")) return false;
  const target = match[1]!.replace(/^(?:the texture of|the surface of)\s+/, "the ");
  const mapWord = match[2] ?? "";
  const map = /normal|bump/.test(mapWord) ? "normal" : /roughness/.test(mapWord) ? "roughness" : "base_color";
  const image = state.images.at(-1);
  if (!image)
    throw new PlanRefusal(
      'Which image? Upload a PNG or JPEG (or render the scene) first, then say e.g. "use this image as the floor\'s texture".',
    );
  const reference = firstReference(target, state, "texture");
  if (target.slice(reference.end).trim() !== "" || target.slice(0, reference.index).trim() !== "") return false;
  const objects = reference.objects.flatMap((object) => (object.kind === "group" ? state.world.members(object) : [object]));
  for (const object of objects) {
    if (object.kind !== "object") throw new PlanRefusal(`${object.name} is a light; only objects take a texture.`);
    // A floor is wide: repeat the image so it is not stretched across it.
    const wide = Math.max(object.dimensions[0], object.dimensions[1]);
    const args: Record<string, unknown> = {
      object: object.name,
      map,
      artifactId: image,
      projection: object.primitive === "plane" ? "existing" : "box",
    };
    if (wide >= 6) args.scale = Math.round(wide / 4);
    pushTool(state, "set_texture", args, `Used image ${image} as ${object.name}'s ${map.replace("_", " ")} map.`);
  }
  state.world.focus = objects.map((object) => object.name);
  return true;
};
