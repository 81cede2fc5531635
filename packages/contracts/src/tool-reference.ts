// Renders the tool reference (Markdown) from the contracts, so the README and docs can never
// drift from what the server actually accepts.
import { toolJsonSchema } from "./tool-json-schema.ts";
import { TOOL_CONTRACTS, type ToolContract } from "./tools.ts";

interface JsonSchemaNode {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  anyOf?: JsonSchemaNode[];
  items?: JsonSchemaNode;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
}

function describeType(node: JsonSchemaNode): string {
  if (node.enum) return node.enum.map((value) => `\`${String(value)}\``).join(" \\| ");
  if (node.anyOf) return node.anyOf.map(describeType).join(" or ");
  const type = Array.isArray(node.type) ? node.type.join(" \\| ") : (node.type ?? "any");
  if (type === "number" || type === "integer") {
    const range = node.minimum !== undefined && node.maximum !== undefined ? ` ${node.minimum}..${node.maximum}` : "";
    return `${type}${range}`;
  }
  if (type === "array" && node.items) {
    // A fixed-length vector ([x, y, z], [r, g, b]) reads as its length times its item.
    if (node.minItems !== undefined && node.minItems === node.maxItems) return `[${node.minItems} × ${describeType(node.items)}]`;
    return `${describeType(node.items)}[]`;
  }
  return type;
}

function toolSection(tool: ToolContract): string {
  const schema = toolJsonSchema(tool.inputSchema, "input") as JsonSchemaNode;
  const required = new Set(schema.required ?? []);
  const properties = Object.entries(schema.properties ?? {});
  const hints = [
    tool.annotations.readOnlyHint ? "read-only" : "changes the scene",
    tool.annotations.destructiveHint ? "destructive" : undefined,
    tool.annotations.idempotentHint ? "idempotent" : undefined,
  ].filter(Boolean);
  const lines = [`### \`${tool.name}\` — ${tool.title}`, "", tool.description, "", `_${hints.join(", ")}_`, ""];
  if (properties.length === 0) {
    lines.push("No arguments.", "");
  } else {
    lines.push("| argument | type | required | description |", "| --- | --- | --- | --- |");
    for (const [name, property] of properties) {
      const description = (property.description ?? "").replaceAll("|", "\\|").replaceAll("\n", " ");
      lines.push(`| \`${name}\` | ${describeType(property)} | ${required.has(name) ? "yes" : "no"} | ${description} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** The Markdown reference of every tool, in list order. */
export function renderToolReference(): string {
  return (TOOL_CONTRACTS as readonly ToolContract[]).map(toolSection).join("\n");
}
