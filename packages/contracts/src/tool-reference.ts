// Renders the tool reference (Markdown) from the contracts, so the README and docs can never
// drift from what the server actually accepts.
import { z } from "zod";
import { TOOL_CONTRACTS, type ToolContract } from "./tools.ts";

interface JsonSchemaNode {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  anyOf?: JsonSchemaNode[];
  items?: JsonSchemaNode | JsonSchemaNode[];
  prefixItems?: JsonSchemaNode[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
}

function describeType(node: JsonSchemaNode): string {
  if (node.enum) return node.enum.map((value) => `\`${String(value)}\``).join(" \\| ");
  if (node.anyOf) return node.anyOf.map(describeType).join(" or ");
  if (node.prefixItems) {
    const parts = node.prefixItems.map(describeType);
    return parts.every((part) => part === parts[0]) ? `[${parts.length} × ${parts[0]}]` : `[${parts.join(", ")}]`;
  }
  const type = Array.isArray(node.type) ? node.type.join(" \\| ") : (node.type ?? "any");
  if (type === "number" || type === "integer") {
    const range = node.minimum !== undefined && node.maximum !== undefined ? ` ${node.minimum}..${node.maximum}` : "";
    return `${type}${range}`;
  }
  if (type === "array" && node.items && !Array.isArray(node.items)) return `${describeType(node.items)}[]`;
  return type;
}

function toolSection(tool: ToolContract): string {
  const schema = z.toJSONSchema(tool.inputSchema, { io: "input" }) as JsonSchemaNode;
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
