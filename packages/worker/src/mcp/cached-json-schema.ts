// What the MCP SDK lists for each tool: the contracts' JSON Schema (`toolJsonSchema`, the form
// every host and LLM provider accepts), handed over through the Standard Schema interface the SDK
// reads (`~standard.jsonSchema`), and computed once. The server is built afresh for stateless
// requests and each build converts every schema again when it lists tools or checks a result
// (about 0.5 ms a schema); the contract schemas never change, so the conversion is memoized on the
// schema objects. Validation stays zod's own (`~standard.validate`): tuples, bounds and
// refinements are enforced exactly as the contracts define them.
import { type ToolContract, toolJsonSchema } from "@bod/contracts";
import type { z } from "zod";

type Converter = (options?: { target?: string }) => Record<string, unknown>;
interface StandardWithJsonSchema {
  jsonSchema?: { input: Converter; output: Converter };
}

/** The dialect the SDK asks for, and the one toolJsonSchema writes. */
const TARGET = "draft-2020-12";

function deepFreeze<Value>(value: Value): Value {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function memoize(compute: () => Record<string, unknown>, other: Converter): Converter {
  let json: Record<string, unknown> | undefined;
  return (options) => {
    // Another dialect (none the SDK asks for) gets zod's own conversion.
    if (options?.target !== undefined && options.target !== TARGET) return other(options);
    // Frozen, so one caller can never change what the next one gets (a write would throw).
    json ??= deepFreeze(compute());
    return json;
  };
}

const cached = new WeakSet<object>();

/** Makes `schema` list as its contracts JSON Schema, computed once; returns the same schema. */
export function cacheJsonSchema<Schema extends z.ZodType>(schema: Schema): Schema {
  if (cached.has(schema)) return schema;
  const standard = (schema as { "~standard"?: StandardWithJsonSchema })["~standard"];
  if (!standard?.jsonSchema) return schema;
  const { input, output } = standard.jsonSchema;
  Object.defineProperty(schema, "~standard", {
    value: {
      ...standard,
      jsonSchema: {
        input: memoize(() => toolJsonSchema(schema, "input"), input.bind(standard.jsonSchema)),
        output: memoize(() => toolJsonSchema(schema, "output"), output.bind(standard.jsonSchema)),
      },
    },
    enumerable: false,
  });
  cached.add(schema);
  return schema;
}

/** Caches the JSON Schema of every contract's input and output. */
export function cacheContractSchemas(contracts: readonly ToolContract[]): void {
  for (const contract of contracts) {
    cacheJsonSchema(contract.inputSchema);
    cacheJsonSchema(contract.outputSchema);
  }
}
