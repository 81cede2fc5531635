// The wire shapes of the gateway's API as zod schemas: requests are validated with them, and the
// OpenAPI document (openapi.ts) is generated from them, so the two cannot drift apart.
import { MAX_MESSAGE_CHARS, PROJECT_ID_PATTERN } from "@bod/contracts";
import { z } from "zod";

export { MAX_MESSAGE_CHARS };
/** Longest project name, in characters. */
export const MAX_PROJECT_NAME_CHARS = 100;

/**
 * Characters a project name may not hold: control characters (C0, DEL, C1: a terminal acts on them),
 * line and paragraph separators, and the bidirectional formatting characters (embeddings, overrides,
 * isolates, marks), with which a name could rewrite how a line around it reads in `bod chat` or a
 * listing.
 */
export const PROJECT_NAME_FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}]/u;

/** The rule for project names, as the API's errors and documentation state it. */
export const PROJECT_NAME_RULE = `1 to ${MAX_PROJECT_NAME_CHARS} characters after trimming spaces, with no control characters, line separators or bidirectional formatting characters (U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069, U+061C)`;

/** A project's name: trimmed, then held to PROJECT_NAME_RULE (refused, never silently altered). */
export const ProjectNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(MAX_PROJECT_NAME_CHARS)
  .refine((name) => !PROJECT_NAME_FORBIDDEN.test(name), {
    error: (issue) => {
      const found = typeof issue.input === "string" ? issue.input.match(PROJECT_NAME_FORBIDDEN)?.[0] : undefined;
      const code = found?.codePointAt(0)?.toString(16).toUpperCase().padStart(4, "0");
      return `holds ${code ? `U+${code}: ` : ""}control characters, line separators and bidirectional formatting characters are not allowed in a project name`;
    },
  })
  .describe(`${PROJECT_NAME_RULE}.`);

export const CreateProjectBodySchema = z
  .strictObject({
    name: ProjectNameSchema,
  })
  .describe("A new project.");

export const SendMessageBodySchema = z
  .strictObject({
    text: z.string().trim().min(1).max(MAX_MESSAGE_CHARS).describe(`What to do with the scene, 1 to ${MAX_MESSAGE_CHARS} characters.`),
  })
  .describe("A chat message to the project's agent.");

export const ProjectIdSchema = z.string().regex(PROJECT_ID_PATTERN).describe("Project id: lowercase letters, digits and single hyphens.");

export const HistoryQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional().describe("Newest messages to return, default 100."),
  before: z.coerce.number().int().min(1).optional().describe("Return messages older than this message id."),
});

export const BLENDER_STATES = ["asleep", "waking", "ready", "sleeping"] as const;

export const InstanceStateSchema = z
  .object({
    state: z.enum(BLENDER_STATES).describe("asleep: no Blender runs; waking: starting; ready: serving; sleeping: saving and stopping."),
    since: z.string().nullable().describe("ISO 8601 time of the last change, null when it never ran."),
    sleepsAt: z.string().nullable().describe("When ready and idle: ISO 8601 time it will go to sleep."),
    sleepsInSeconds: z.number().nullable(),
    busy: z.boolean().describe("A tool call is running."),
    coldStartMs: z.number().nullable().describe("How long its last wake-up took."),
  })
  .describe("The project's Blender.");

export const ProjectSchema = z.object({
  id: ProjectIdSchema,
  name: z.string(),
  createdAt: z.string(),
  instance: InstanceStateSchema.optional(),
});

export const ArtifactViewSchema = z.object({
  id: z.string(),
  kind: z.string().describe("render, export or upload."),
  mimeType: z.string(),
  bytes: z.number().optional(),
  url: z.string().describe("Owner-only URL: send the bearer token."),
  signedUrl: z.string().describe("Expiring link that needs no token (for <img src> and downloads)."),
  expiresAt: z.string().describe("When signedUrl stops working."),
  toolCallId: z.string().optional(),
});

export const ToolCallViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.unknown(),
  result: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  durationMs: z.number(),
});

export const TurnSchema = z.object({
  turnId: z.string(),
  status: z.string().describe("completed, failed, cancelled or step-limit."),
  reply: z.string(),
  toolCalls: z.array(ToolCallViewSchema),
  artifacts: z.array(ArtifactViewSchema),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  instance: InstanceStateSchema.optional(),
});

export const MessageSchema = z.object({
  id: z.number(),
  role: z.enum(["user", "assistant"]),
  text: z.string(),
  turnId: z.string(),
  createdAt: z.string(),
  toolCalls: z.array(ToolCallViewSchema),
  artifacts: z.array(ArtifactViewSchema),
});

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string().describe("What went wrong and what is allowed."),
    code: z.string(),
  })
  .catchall(z.unknown())
  .describe("RFC 9457 problem details.");

export const MeSchema = z.object({ id: z.string(), name: z.string() });

export const SSE_EVENT_TYPES = [
  "turn-start",
  "plan",
  "tool-call-start",
  "progress",
  "tool-call-end",
  "instance-state",
  "reply",
  "error",
  "turn-end",
  "turn",
] as const;
