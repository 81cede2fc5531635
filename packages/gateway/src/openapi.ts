// The OpenAPI 3.1 document of the gateway's API, assembled from the same zod schemas that
// validate requests (z.toJSONSchema), and served at /api/openapi.json.
import { z } from "zod";
import {
  CreateProjectBodySchema,
  InstanceStateSchema,
  MeSchema,
  MessageSchema,
  ProblemSchema,
  ProjectIdSchema,
  ProjectSchema,
  SendMessageBodySchema,
  SSE_EVENT_TYPES,
  TurnSchema,
} from "./schemas.ts";

const schema = (value: z.ZodType) => z.toJSONSchema(value, { target: "draft-2020-12", unrepresentable: "any", io: "output" });
const inputSchema = (value: z.ZodType) => z.toJSONSchema(value, { target: "draft-2020-12", unrepresentable: "any", io: "input" });

const json = (ref: string) => ({ "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } });
const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});
const projectParam = { name: "id", in: "path", required: true, schema: schema(ProjectIdSchema) };
const common = {
  "401": problem("No token, or one that matches no user."),
  "429": problem("Over the per-user rate limit; see Retry-After."),
  "503": problem("The server's database did not answer within its deadline (5 s); see Retry-After."),
};

let cached: object | undefined;

export function buildOpenApiDocument(): object {
  cached ??= {
    openapi: "3.1.0",
    info: {
      title: "blender-on-demand gateway",
      version: "0.1.0",
      description:
        "Projects, chat with the scene agent, and artifacts. Every route but this document needs `Authorization: Bearer <token>` " +
        "(`bod user add NAME` prints one); artifacts can also be fetched through the expiring `signedUrl` links the API returns.",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        CreateProject: inputSchema(CreateProjectBodySchema),
        SendMessage: inputSchema(SendMessageBodySchema),
        Project: schema(ProjectSchema),
        Instance: schema(InstanceStateSchema),
        Turn: schema(TurnSchema),
        Message: schema(MessageSchema),
        Me: schema(MeSchema),
        Problem: schema(ProblemSchema),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      "/api/me": {
        get: { summary: "The signed-in user", responses: { "200": { description: "The user.", content: json("Me") }, ...common } },
      },
      "/api/projects": {
        get: {
          summary: "The caller's projects, newest first",
          responses: {
            "200": {
              description: "Projects with their Blender's state.",
              content: {
                "application/json": {
                  schema: { type: "object", properties: { projects: { type: "array", items: { $ref: "#/components/schemas/Project" } } } },
                },
              },
            },
            ...common,
          },
        },
        post: {
          summary: "Create a project",
          requestBody: { required: true, content: json("CreateProject") },
          responses: {
            "201": { description: "The new project.", content: json("Project") },
            "400": problem("Malformed JSON or wrong shape."),
            "413": problem("Body too large."),
            ...common,
          },
        },
      },
      "/api/projects/{id}": {
        parameters: [projectParam],
        get: {
          summary: "One project",
          responses: {
            "200": { description: "The project.", content: json("Project") },
            "404": problem("No such project of yours."),
            ...common,
          },
        },
        delete: {
          summary: "Delete a project: its worker is drained and stopped, its scene, artifacts and conversation deleted",
          responses: {
            "204": { description: "Deleted." },
            "404": problem("No such project of yours."),
            "409": problem("The project's running turn did not stop in time; nothing was deleted, try again."),
            ...common,
          },
        },
      },
      "/api/projects/{id}/instance": {
        parameters: [projectParam],
        get: {
          summary: "The project's Blender: asleep, waking, ready (and when it sleeps), sleeping",
          responses: { "200": { description: "State.", content: json("Instance") }, ...common },
        },
      },
      "/api/projects/{id}/messages": {
        parameters: [projectParam],
        get: {
          summary: "The conversation, oldest first",
          parameters: [
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 500 } },
            { name: "before", in: "query", schema: { type: "integer", minimum: 1 } },
          ],
          responses: {
            "200": {
              description: "Messages.",
              content: {
                "application/json": {
                  schema: { type: "object", properties: { messages: { type: "array", items: { $ref: "#/components/schemas/Message" } } } },
                },
              },
            },
            "404": problem("No such project of yours."),
            ...common,
          },
        },
        post: {
          summary: "Send a message; the agent plans, calls Blender's tools and replies",
          description:
            "With `Accept: text/event-stream` the turn streams as server-sent events while it happens, each named by its type: " +
            `${SSE_EVENT_TYPES.join(", ")}. The last event, \`turn\`, carries the same body as the JSON answer. ` +
            "With `Accept: application/json` the answer comes once the turn is over.",
          requestBody: { required: true, content: json("SendMessage") },
          responses: {
            "200": {
              description: "The whole turn (JSON) or its events (SSE).",
              content: { ...json("Turn"), "text/event-stream": { schema: { type: "string" } } },
            },
            "400": problem("Malformed JSON or wrong shape."),
            "404": problem("No such project of yours."),
            "406": problem("Accept is neither text/event-stream nor application/json."),
            "409": problem("The previous message is still being answered."),
            "413": problem("Body too large."),
            ...common,
          },
        },
      },
      "/api/projects/{id}/turn": {
        parameters: [projectParam],
        delete: {
          summary: "Cancel the project's running turn; the turn ends with status cancelled and says what was already applied",
          responses: {
            "202": { description: "Cancelling." },
            "404": problem("No turn is running, or no such project of yours."),
            ...common,
          },
        },
      },
      "/api/projects/{id}/artifacts/{artifactId}": {
        parameters: [projectParam, { name: "artifactId", in: "path", required: true, schema: { type: "string" } }],
        get: {
          summary: "A render or export: to its owner's token, or through a signed link (exp and sig query parameters)",
          security: [{ bearer: [] }, {}],
          parameters: [
            { name: "exp", in: "query", schema: { type: "string" } },
            { name: "sig", in: "query", schema: { type: "string" } },
            { name: "Range", in: "header", schema: { type: "string" }, description: "One byte range, e.g. bytes=0-1023." },
          ],
          responses: {
            "200": { description: "The file." },
            "206": { description: "The byte range asked for (Content-Range)." },
            "302": { description: "Where the file is downloaded from: an expiring URL of the artifact store (S3)." },
            "404": problem("No such artifact of yours."),
            "416": { description: "The range starts past the end of the file (Content-Range: bytes */size)." },
            ...common,
            // After the common answers, so this route's own 503 wins.
            "503": problem("The artifact store, or the server's database, is down or slow; see Retry-After."),
          },
        },
      },
    },
  };
  return cached;
}
