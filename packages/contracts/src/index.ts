// Public surface of the contracts package: tool contracts, schemas, colors and errors.
// Depends on nothing Node-specific so browsers and workers can import it too.
export * from "./bod-error.ts";
export * from "./color.ts";
export * from "./errors.ts";
export * from "./problem-details.ts";
export * from "./project-id.ts";
export * from "./result-meta.ts";
export * from "./schemas.ts";
export * from "./tool-json-schema.ts";
export * from "./tool-reference.ts";
export * from "./tools.ts";
