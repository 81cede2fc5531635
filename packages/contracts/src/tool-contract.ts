// The shape of a tool contract and defineTool, which every tool family (tools.ts, tools/*.ts)
// builds its contracts with.
import type { z } from "zod";

/** MCP tool annotations (hints for clients; never security decisions). */
export interface ToolAnnotations {
  title: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolContract<
  Input extends z.ZodObject = z.ZodObject,
  Output extends z.ZodObject = z.ZodObject,
  Name extends string = string,
> {
  name: Name;
  title: string;
  description: string;
  inputSchema: Input;
  outputSchema: Output;
  annotations: ToolAnnotations;
  /** Changes the scene: journaled before it is acknowledged and replayed on restore. */
  mutatesScene: boolean;
  /** Default time budget for one call, in milliseconds. */
  timeoutMs: number;
}

/** A contract from its parts; `hints` become the MCP annotations (openWorldHint is always false). */
export function defineTool<const Name extends string, Input extends z.ZodObject, Output extends z.ZodObject>(
  contract: Omit<ToolContract<Input, Output, Name>, "annotations"> & {
    hints: Partial<Omit<ToolAnnotations, "title">>;
  },
): ToolContract<Input, Output, Name> {
  const { hints, ...rest } = contract;
  return {
    ...rest,
    annotations: {
      title: contract.title,
      readOnlyHint: hints.readOnlyHint ?? false,
      destructiveHint: hints.destructiveHint ?? false,
      idempotentHint: hints.idempotentHint ?? false,
      openWorldHint: false,
    },
  };
}
