// The MCP server is built afresh for every HTTP request (that is how the SDK serves stateless
// requests), and each build converts every tool's zod schema to JSON Schema again when it lists
// tools or checks a result: about 0.5 ms a schema. The contract schemas never change, so the
// conversion is memoized on the schema objects once, through the Standard Schema interface the
// SDK reads (`~standard.jsonSchema`).
import type { ToolContract } from "@bod/contracts";

type Converter = (options?: { target?: string }) => Record<string, unknown>;
interface StandardWithJsonSchema {
  jsonSchema?: { input: Converter; output: Converter };
}

function deepFreeze<Value>(value: Value): Value {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function memoize(convert: Converter): Converter {
  const byTarget = new Map<string, Record<string, unknown>>();
  return (options) => {
    const key = options?.target ?? "";
    let json = byTarget.get(key);
    if (!json) {
      // Frozen, so one caller can never change what the next one gets (a write would throw).
      json = deepFreeze(convert(options));
      byTarget.set(key, json);
    }
    return json;
  };
}

const cached = new WeakSet<object>();

/** Makes `schema`'s JSON Schema conversion compute once; returns the same schema. */
export function cacheJsonSchema<Schema extends object>(schema: Schema): Schema {
  if (cached.has(schema)) return schema;
  const standard = (schema as { "~standard"?: StandardWithJsonSchema })["~standard"];
  if (!standard?.jsonSchema) return schema;
  const { input, output } = standard.jsonSchema;
  Object.defineProperty(schema, "~standard", {
    value: {
      ...standard,
      jsonSchema: { input: memoize(input.bind(standard.jsonSchema)), output: memoize(output.bind(standard.jsonSchema)) },
    },
    enumerable: false,
  });
  cached.add(schema);
  return schema;
}

export function cacheContractSchemas(contracts: readonly ToolContract[]): void {
  for (const contract of contracts) {
    cacheJsonSchema(contract.inputSchema);
    cacheJsonSchema(contract.outputSchema);
  }
}
