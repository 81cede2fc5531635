// Handlers that make files: a render (engine, resolution, samples, and a view to render from) and
// exports in the contract formats.
import { EXPORT_FORMATS, type ExportFormat, MAX_RESOLUTION, MAX_SAMPLES, type RenderEngine } from "@bod/contracts";
import { RESOLUTION_WORDS } from "../lexicon.ts";
import { type Handler, push } from "../plan-state.ts";
import { PlanRefusal } from "../world.ts";
import { handleCamera } from "./view-handlers.ts";

export const handleRender: Handler = (clause, state) => {
  const text = clause.text;
  if (
    !/\b(?:render(?:ing)?|take an? (?:picture|photo|image|snapshot|shot)|snapshot|let me see|show me (?:the scene|it|what it looks like|a picture|an image|the result)|show (?:the )?(?:scene|result)|picture of|image of)\b/.test(
      text,
    ) ||
    /\b(?:rename|delete|remove)\b/.test(text)
  )
    return false;
  // "render the scene from above": move the camera first, then render.
  const view = /\bfrom (?:the )?(?:above|below|top|bottom|front|back|behind|left|right|side|an angle|the side|overhead)\b/.exec(text);
  if (view) handleCamera({ text: `look ${view[0]}`, original: `look ${view[0]}` }, state);
  const args: Record<string, unknown> = {};
  const engine = /\b(eevee|cycles|workbench)\b/.exec(text)?.[1] as RenderEngine | undefined;
  if (engine) args.engine = engine;
  else if (/\b(?:path[- ]?traced|photo[- ]?real(?:istic)?|realistic|ray[- ]?traced)\b/.test(text)) args.engine = "cycles";
  else if (/\b(?:quick|draft|preview|flat|solid|fast)\b/.test(text)) args.engine = "workbench";
  const size = /(\d{2,5})\s*(?:x|×|\*|by)\s*(\d{2,5})\b/.exec(text);
  if (size) {
    args.width = Number(size[1]);
    args.height = Number(size[2]);
  } else {
    for (const [pattern, width, height] of RESOLUTION_WORDS) {
      if (pattern.test(text)) {
        args.width = width;
        args.height = height;
        break;
      }
    }
  }
  const samples = /(\d+)\s*samples?\b|\bsamples?\s*(?:of\s*|=\s*|:\s*)?(\d+)\b/.exec(text);
  if (samples) args.samples = Number(samples[1] ?? samples[2]);
  else if (/\b(?:high[- ]quality|best quality|hq|final)\b/.test(text)) {
    args.samples = 256;
    args.engine ??= "cycles";
  } else if (/\b(?:low[- ]quality|quick|draft|fast)\b/.test(text) && args.engine !== "workbench") args.samples = 8;
  for (const edge of ["width", "height"] as const) {
    const value = args[edge];
    if (typeof value === "number" && (value < 16 || value > MAX_RESOLUTION))
      throw new PlanRefusal(`A render's ${edge} must be between 16 and ${MAX_RESOLUTION} pixels (asked for ${value}).`);
  }
  if (typeof args.samples === "number" && (args.samples < 1 || args.samples > MAX_SAMPLES))
    throw new PlanRefusal(`Samples must be between 1 and ${MAX_SAMPLES} (asked for ${args.samples}).`);
  const details = [
    args.engine ? `with ${args.engine}` : undefined,
    args.width ? `at ${args.width}×${args.height}` : undefined,
    args.samples ? `with ${args.samples} samples` : undefined,
  ].filter(Boolean);
  push(state, "render_frame", args, `Rendered the scene${details.length > 0 ? ` ${details.join(" ")}` : ""}.`);
  return true;
};

export const handleExport: Handler = (clause, state) => {
  const text = clause.text;
  if (
    !/^(?:export|download|save|give me|i want|i need|get|convert)\b|\bexport\b|\bas an? (?:glb|gltf|obj|stl|fbx|blend)\b|\.(?:glb|gltf|obj|stl|fbx|blend)\b/.test(
      text,
    )
  )
    return false;
  if (!/\b(?:export|download|save|glb|gltf|obj|stl|fbx|blend|blender file|file|model)\b/.test(text)) return false;
  if (/^(?:give me|i want|i need|get)\b/.test(text) && !/\b(?:glb|gltf|obj|stl|fbx|blend|file|export|download)\b/.test(text)) return false;
  const formats: ExportFormat[] = [];
  for (const match of text.matchAll(/\b(glb|gltf|gl ?tf|obj|wavefront|stl|fbx|blend|blender(?: file)?)\b/g)) {
    const word = match[1]!;
    const format: ExportFormat =
      word.startsWith("gl t") || word === "gl tf"
        ? "gltf"
        : word === "wavefront"
          ? "obj"
          : word.startsWith("blend")
            ? "blend"
            : (word as ExportFormat);
    if ((EXPORT_FORMATS as readonly string[]).includes(format) && !formats.includes(format)) formats.push(format);
  }
  if (formats.length === 0) {
    const unknown = /\b(?:as|to|in|into)\s+(?:an?\s+)?\.?([a-z0-9]{2,5})\b(?:\s+(?:file|format))?$/.exec(text);
    if (unknown && !/^(?:file|model|scene|format|the|it)$/.test(unknown[1]!))
      throw new PlanRefusal(`I cannot export as ${unknown[1]}: the formats are ${EXPORT_FORMATS.join(", ")}.`);
    formats.push(/^save\b/.test(text) && !/\bmodel\b/.test(text) ? "blend" : "glb");
  }
  for (const format of formats) {
    if (format === "glb") push(state, "export_glb", {}, "Exported the scene as GLB.");
    else push(state, "export_scene", { format }, `Exported the scene as ${format.toUpperCase()}.`);
  }
  return true;
};
