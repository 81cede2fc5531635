// The JSON Schema of a tool's input or output as MCP hosts and language models see it. The MCP
// server's tools/list, the agent's LLM tools and the tool reference all come from this one
// conversion, so every host gets the same schema. It keeps to what every provider's function
// calling accepts (docs/tool-schemas.md): a fixed-length vector is `items` + minItems/maxItems,
// never `prefixItems` with `items: false`, which Gemini refuses outright and OpenAI's strict mode
// does not support. The zod schemas stay tuples, so what the worker accepts is exactly as strict.
import { z } from "zod";

/** A JSON Schema node: an object of keywords (never a bare `true` or `false`). */
export type JsonSchemaObject = { [keyword: string]: unknown };

function isSchemaObject(value: unknown): value is JsonSchemaObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Rewrites a tuple node (`prefixItems` + `items: false`) in place as `items` + minItems/maxItems.
 * Only a tuple whose places share one schema can be written that way without loosening it; any
 * other tuple throws, so a contract cannot add one unnoticed (an object with named fields is the
 * portable spelling of a mixed record).
 */
function rewriteTuple(node: JsonSchemaObject): void {
  const places = node.prefixItems;
  if (!Array.isArray(places)) return;
  const first: unknown = places[0];
  const same = places.every((place) => JSON.stringify(place) === JSON.stringify(first));
  if (!isSchemaObject(first) || !same || node.minItems !== places.length || node.maxItems !== places.length) {
    throw new Error(
      `A tuple whose places differ has no JSON Schema every host accepts (prefixItems): ${JSON.stringify(node)}. Use an object with named fields.`,
    );
  }
  delete node.prefixItems;
  node.items = first;
}

/**
 * Drops the `null` choice of an input (anyOf [X, {type: "null"}] becomes X), which some providers
 * cannot express. Contracts give such inputs as optional, so a host says "none" by leaving the
 * field out; the contract itself still takes an explicit null.
 */
function dropNullChoice(node: JsonSchemaObject): void {
  const choices = node.anyOf;
  if (!Array.isArray(choices)) return;
  const kept = choices.filter((choice) => !(isSchemaObject(choice) && choice.type === "null" && Object.keys(choice).length === 1));
  if (kept.length === choices.length) return;
  if (kept.length === 1 && isSchemaObject(kept[0])) {
    delete node.anyOf;
    Object.assign(node, { ...kept[0], ...node });
  } else {
    node.anyOf = kept;
  }
}

/**
 * The JSON Schema (2020-12 keywords, without `$schema`, which MCP makes the default dialect and
 * Gemini's function declarations refuse) of a contract's input or output schema.
 */
export function toolJsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchemaObject {
  const json = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    override: ({ jsonSchema }) => {
      rewriteTuple(jsonSchema as JsonSchemaObject);
      if (io === "input") dropNullChoice(jsonSchema as JsonSchemaObject);
    },
  }) as JsonSchemaObject;
  delete json.$schema;
  return json;
}
