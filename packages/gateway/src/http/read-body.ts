// Reads and validates a JSON request body: at most `limitBytes`, valid JSON, the schema's shape.
// Every failure is a typed error whose message says what is allowed.
import type { z } from "zod";
import { InvalidRequestError } from "../errors/invalid-request-error.ts";
import { PayloadTooLargeError } from "../errors/payload-too-large-error.ts";

export async function readJsonBody<Schema extends z.ZodType>(
  request: Request,
  schema: Schema,
  options: { limitBytes: number; allowed: string },
): Promise<z.output<Schema>> {
  const contentType = request.headers.get("content-type");
  if (contentType && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType))
    throw new InvalidRequestError(`Send the body as JSON with Content-Type: application/json. Allowed: ${options.allowed}.`);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > options.limitBytes) throw new PayloadTooLargeError(options.limitBytes);
  const text = await readLimited(request, options.limitBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : "unreadable";
    throw new InvalidRequestError(`The body is not valid JSON (${reason}). Allowed: ${options.allowed}.`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
    const list = fields.map((field) => (field.path ? `${field.path}: ${field.message}` : field.message)).join("; ");
    throw new InvalidRequestError(`The body has the wrong shape (${list}). Allowed: ${options.allowed}.`, fields);
  }
  return result.data;
}

async function readLimited(request: Request, limitBytes: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(limitBytes);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
