import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type JsonSchemaObject, toolJsonSchema } from "./tool-json-schema.ts";
import { findToolContract, TOOL_CONTRACTS, type ToolContract } from "./tools.ts";

const CONTRACTS = TOOL_CONTRACTS as readonly ToolContract[];

// The keywords an input schema may use: what Gemini's function declarations (an OpenAPI 3.0
// subset), OpenAI's function calling (strict or not) and Anthropic's tool use all accept. Sources
// and the keywords each provider refuses are in docs/tool-schemas.md.
const INPUT_KEYWORDS = new Set([
  "type",
  "description",
  "title",
  "enum",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "anyOf",
]);
const SINGLE_TYPES = new Set(["string", "number", "integer", "boolean", "object", "array"]);

/** Every construct in an input schema that some provider refuses, as "path: why". */
function inputProblems(node: unknown, path: string, isRoot = false): string[] {
  if (typeof node !== "object" || node === null || Array.isArray(node)) {
    return [`${path}: a bare ${JSON.stringify(node)} where a schema object is expected`];
  }
  const schema = node as JsonSchemaObject;
  const problems: string[] = [];
  for (const keyword of Object.keys(schema)) {
    if (!INPUT_KEYWORDS.has(keyword)) problems.push(`${path}: keyword ${keyword}`);
  }
  if (schema.anyOf !== undefined) {
    if (isRoot) problems.push(`${path}: anyOf at the root`);
    if (!Array.isArray(schema.anyOf) || schema.anyOf.length < 2) problems.push(`${path}: anyOf needs two or more branches`);
    else {
      for (const [index, branch] of schema.anyOf.entries()) problems.push(...inputProblems(branch, `${path}.anyOf[${index}]`));
    }
    if (schema.type !== undefined) problems.push(`${path}: type beside anyOf`);
    return problems;
  }
  if (typeof schema.type !== "string" || !SINGLE_TYPES.has(schema.type)) {
    problems.push(`${path}: type must be one of ${[...SINGLE_TYPES].join(", ")}, got ${JSON.stringify(schema.type)}`);
  }
  if (schema.enum !== undefined && !(Array.isArray(schema.enum) && schema.enum.every((value) => typeof value === "string"))) {
    problems.push(`${path}: enum of anything but strings`);
  }
  if (schema.type === "array") {
    if (schema.items === undefined) problems.push(`${path}: array without items`);
    else problems.push(...inputProblems(schema.items, `${path}.items`));
  } else if (schema.items !== undefined || schema.minItems !== undefined || schema.maxItems !== undefined) {
    problems.push(`${path}: array keywords on a ${String(schema.type)}`);
  }
  if (schema.type === "object") {
    if (schema.additionalProperties !== false) problems.push(`${path}: additionalProperties is not false`);
    const properties = schema.properties;
    if (typeof properties !== "object" || properties === null) problems.push(`${path}: object without properties`);
    else for (const [name, property] of Object.entries(properties)) problems.push(...inputProblems(property, `${path}.${name}`));
    const required = schema.required ?? [];
    if (!Array.isArray(required) || required.some((name) => typeof name !== "string" || !(name in (properties as object)))) {
      problems.push(`${path}: required names a property that is not there`);
    }
  } else if (schema.properties !== undefined || schema.required !== undefined || schema.additionalProperties !== undefined) {
    problems.push(`${path}: object keywords on a ${String(schema.type)}`);
  }
  return problems;
}

// What the MCP Inspector's portability check (--strict) flags in any schema, output schemas
// included: a bare boolean where a schema object belongs, a list as `type`, a node that constrains
// nothing, and a $ref outside the document.
const BOOLEAN_VALUED = new Set(["additionalProperties", "unevaluatedProperties", "additionalItems", "unevaluatedItems"]);
const SUBSCHEMA_MAPS = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
const SUBSCHEMA_LISTS = ["anyOf", "allOf", "oneOf", "prefixItems"];
const SUBSCHEMAS = ["items", "contains", "not", "if", "then", "else", "propertyNames", "contentSchema", ...BOOLEAN_VALUED];

function inspectorProblems(node: unknown, path: string, keyword?: string): string[] {
  if (typeof node === "boolean") return keyword && BOOLEAN_VALUED.has(keyword) ? [] : [`${path}: bare ${node}`];
  if (typeof node !== "object" || node === null || Array.isArray(node)) return [];
  const schema = node as JsonSchemaObject;
  const problems: string[] = [];
  if (Array.isArray(schema.type)) problems.push(`${path}: type is a list`);
  if (typeof schema.$ref === "string" && !schema.$ref.startsWith("#")) problems.push(`${path}: remote $ref`);
  const keys = Object.keys(schema).filter((key) => !["description", "title", "default", "examples", "$schema", "$id"].includes(key));
  if (keys.length === 0 && keyword !== "not") problems.push(`${path}: constrains nothing`);
  for (const key of SUBSCHEMA_MAPS) {
    for (const [name, child] of Object.entries((schema[key] as object | undefined) ?? {})) {
      problems.push(...inspectorProblems(child, `${path}.${key}.${name}`, key));
    }
  }
  for (const key of SUBSCHEMA_LISTS) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    for (const [index, child] of list.entries()) problems.push(...inspectorProblems(child, `${path}.${key}[${index}]`, key));
  }
  for (const key of SUBSCHEMAS) {
    if (key in schema) problems.push(...inspectorProblems(schema[key], `${path}.${key}`, key));
  }
  return problems;
}

describe("tool JSON Schemas", () => {
  it("use only what every provider accepts, in every tool's input", () => {
    for (const contract of CONTRACTS) {
      expect(inputProblems(toolJsonSchema(contract.inputSchema, "input"), contract.name, true), contract.name).toEqual([]);
    }
  });

  it("pass the Inspector's portability rules, outputs included", () => {
    for (const contract of CONTRACTS) {
      expect(inspectorProblems(toolJsonSchema(contract.inputSchema, "input"), `${contract.name}.input`)).toEqual([]);
      expect(inspectorProblems(toolJsonSchema(contract.outputSchema, "output"), `${contract.name}.output`)).toEqual([]);
    }
  });

  it("catch what zod emits for tuples and what the providers refuse", () => {
    const tuple = z.toJSONSchema(z.strictObject({ at: z.tuple([z.number(), z.number()]) }), { io: "input" });
    expect(inspectorProblems(tuple, "tuple")).toEqual(["tuple.properties.at.items: bare false"]);
    expect(inputProblems(tuple, "tuple", true)).toEqual(
      expect.arrayContaining([
        "tuple: keyword $schema",
        "tuple.at: keyword prefixItems",
        "tuple.at.items: a bare false where a schema object is expected",
      ]),
    );
    expect(
      inputProblems({ type: "object", properties: { a: { type: ["string", "null"] } }, additionalProperties: false }, "t", true),
    ).toEqual(['t.a: type must be one of string, number, integer, boolean, object, array, got ["string","null"]']);
    expect(inputProblems({ type: "object", properties: { a: { type: "array" } }, additionalProperties: false }, "t", true)).toEqual([
      "t.a: array without items",
    ]);
    expect(inputProblems({ anyOf: [{ type: "object" }, { type: "string" }] }, "t", true)).toContain("t: anyOf at the root");
    expect(inputProblems({ type: "object", properties: { a: { $ref: "#/$defs/a" } }, additionalProperties: false }, "t", true)).toContain(
      "t.a: keyword $ref",
    );
  });

  it("write a 3-vector as items with three places, and keep the color and scale unions", () => {
    const schema = toolJsonSchema(findToolContract("add_object")!.inputSchema, "input") as {
      $schema?: string;
      properties: Record<string, JsonSchemaObject>;
    };
    expect(schema.$schema).toBeUndefined();
    expect(schema.properties.location).toEqual({
      type: "array",
      items: { type: "number", minimum: -100000, maximum: 100000 },
      minItems: 3,
      maxItems: 3,
      description: "[x, y, z] in meters; z is up.",
    });
    const branchTypes = (name: string) => (schema.properties[name]!.anyOf as JsonSchemaObject[]).map((branch) => branch.type);
    expect(branchTypes("color")).toEqual(["string", "array"]);
    expect(branchTypes("scale")).toEqual(["number", "array"]);
  });

  it("refuse a tuple whose places differ rather than loosen it", () => {
    expect(() => toolJsonSchema(z.strictObject({ pair: z.tuple([z.number(), z.string()]) }), "input")).toThrow(/named fields/);
    expect(() => toolJsonSchema(z.strictObject({ pair: z.tuple([z.number()], z.number()) }), "input")).toThrow(/named fields/);
  });

  it("accept and refuse the same arguments as the contracts (checked by a JSON Schema validator)", () => {
    const ajv = new Ajv2020({ strict: false });
    const cases: [string, Record<string, unknown>, boolean][] = [
      ["add_object", { type: "cube", location: [1, 2, 3], rotation: [0, 0, 90], scale: 2, color: "#f80" }, true],
      ["add_object", { type: "cube", scale: [1, 2, 3], color: [1, 0.5, 0] }, true],
      ["add_object", { type: "cube", location: [1, 2, 3, 4] }, false],
      ["add_object", { type: "cube", location: [1, 2] }, false],
      ["add_object", { type: "cube", location: ["1", 2, 3] }, false],
      ["add_object", { type: "cube", location: [1e6, 0, 0] }, false],
      ["add_object", { type: "cube", color: [1, 0, 0, 1] }, false],
      ["add_object", { type: "cube", color: [2, 0, 0] }, false],
      ["add_object", { type: "cube", scale: [1, 1] }, false],
      ["add_object", { type: "cube", scale: 0 }, false],
      ["add_object", { type: "cube", wings: 2 }, false],
      ["update_object", { name: "Cube", translate: [0, 0, 1] }, true],
      ["update_object", { name: "Cube", translate: [0, 0, 1, 1] }, false],
      ["set_camera", { location: [0, -6, 3], target: [0, 0, 0], lens: 50 }, true],
      ["set_camera", { target: [0, 0] }, false],
      ["render_frame", { width: 9000 }, false],
    ];
    for (const [name, args, valid] of cases) {
      const contract = findToolContract(name)!;
      const validate = ajv.compile(toolJsonSchema(contract.inputSchema, "input"));
      expect(validate(args), `${name} ${JSON.stringify(args)} (JSON Schema)`).toBe(valid);
      expect(contract.inputSchema.safeParse(args).success, `${name} ${JSON.stringify(args)} (zod)`).toBe(valid);
    }
  });
});
