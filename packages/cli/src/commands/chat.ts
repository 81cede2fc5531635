// `bod chat --project P "..."`: one chat turn from the command line. Talks to a running server
// (--url/BOD_URL and --token/BOD_TOKEN, or the one on 127.0.0.1:7800 with the data dir's owner
// token), or, when none runs, starts the whole stack in-process for this one turn. Prints the
// turn's steps on stderr as they happen, then the reply and the artifacts on stdout.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";

const ChatFlagsSchema = z.object({
  project: z.string().min(1).max(100),
  url: z.url().optional(),
  token: z.string().min(1).optional(),
  dataDir: z.string().min(1).default(".data"),
  json: z.boolean().default(false),
  embedded: z.boolean().default(false),
});

const ChatEnvSchema = z.object({
  BOD_URL: z.url("BOD_URL must be a URL such as http://127.0.0.1:7800").optional(),
  BOD_TOKEN: z.string().min(1).optional(),
});

const DEFAULT_URL = "http://127.0.0.1:7800";

interface TurnArtifact {
  id: string;
  kind: string;
  mimeType: string;
  url: string;
  signedUrl: string;
}

interface Turn {
  status: string;
  reply: string;
  artifacts: TurnArtifact[];
  toolCalls: Array<{ name: string; error?: { message: string } }>;
}

class ChatError extends Error {}

async function reachable(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(500) });
    return response.ok;
  } catch {
    return false;
  }
}

async function request(base: string, token: string, path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string>) },
  });
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { detail?: string };
    throw new ChatError(`${init.method ?? "GET"} ${path}: ${response.status} ${problem.detail ?? response.statusText}`);
  }
  return response;
}

/** The project whose id or name is `wanted`, created (named so) when there is none. */
async function resolveProject(base: string, token: string, wanted: string): Promise<{ id: string; name: string; created: boolean }> {
  const { projects } = (await (await request(base, token, "/api/projects")).json()) as { projects: Array<{ id: string; name: string }> };
  const found = projects.find((project) => project.id === wanted) ?? projects.find((project) => project.name === wanted);
  if (found) return { ...found, created: false };
  const created = (await (
    await request(base, token, "/api/projects", { method: "POST", body: JSON.stringify({ name: wanted }) })
  ).json()) as {
    id: string;
    name: string;
  };
  return { ...created, created: true };
}

function seconds(ms: unknown): string {
  return typeof ms === "number" ? (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`) : "";
}

/** Runs one turn over the gateway's API and returns it; progress goes to `log`. */
export async function runChatTurn(
  base: string,
  token: string,
  projectId: string,
  text: string,
  log: (line: string) => void,
): Promise<Turn> {
  const response = await request(base, token, `/api/projects/${projectId}/messages`, {
    method: "POST",
    body: JSON.stringify({ text }),
    headers: { accept: "text/event-stream" },
  });
  const { readEventStream } = await import("@bod/gateway/read-event-stream");
  let turn: Turn | undefined;
  let lastState = "";
  await readEventStream(response.body!, (event, data) => {
    if (event === "instance-state" && data.state !== lastState) {
      lastState = String(data.state);
      if (data.state === "waking") log("… waking Blender");
      if (data.state === "ready" && typeof data.coldStartMs === "number") log(`  Blender ready (woke in ${seconds(data.coldStartMs)})`);
    }
    if (event === "tool-call-start") log(`→ ${data.name} ${JSON.stringify(data.arguments)}`);
    if (event === "tool-call-end")
      log(
        data.isError
          ? `  ✗ ${data.name}: ${(data.error as { message?: string })?.message ?? "failed"}`
          : `  ✓ ${data.name} ${seconds(data.durationMs)}`,
      );
    if (event === "turn") turn = data as unknown as Turn;
    if (event === "error" && data.code === "internal") log(`  ✗ ${data.message}`);
  });
  if (!turn) throw new ChatError("The server ended the turn without an answer.");
  return turn;
}

export function registerChatCommand(program: Command): void {
  program
    .command("chat")
    .description("Send one message to a project's agent and print the reply and the artifacts")
    .argument("<message...>", "what to do with the scene")
    .requiredOption("--project <project>", "project id or name (created when there is none)")
    .option("--url <url>", `gateway URL (default: BOD_URL, else ${DEFAULT_URL} when it runs, else an in-process server)`)
    .option("--token <token>", "API token (default: BOD_TOKEN, else the data dir's owner-token)")
    .option("--data-dir <dir>", "data dir for the owner token and the in-process server", ".data")
    .option("--embedded", "always start the stack in-process, even when a server runs")
    .option("--json", "print the whole turn as JSON")
    .action(async (words: string[], rawFlags) => {
      const flags = ChatFlagsSchema.safeParse(rawFlags);
      const env = ChatEnvSchema.safeParse(process.env);
      if (!flags.success || !env.success) {
        console.error(`bod chat: ${z.prettifyError((flags.error ?? env.error)!)}`);
        process.exit(2);
      }
      const text = words.join(" ");
      const dataDir = resolve(flags.data.dataDir);
      const log = (line: string) => console.error(line);
      let base = flags.data.url ?? env.data.BOD_URL;
      let token = flags.data.token ?? env.data.BOD_TOKEN;
      let embedded: { close(): Promise<void> } | undefined;
      let ranEmbedded = false;
      try {
        if (!base && !flags.data.embedded && (await reachable(DEFAULT_URL))) base = DEFAULT_URL;
        if (!base) {
          log(`No server is running; starting one in-process on ${dataDir}.`);
          const { createLogger } = await import("../logger.ts");
          const { parseServeConfig, startServe } = await import("./serve.ts");
          const parsed = await parseServeConfig({ port: "0", dataDir, startTimeout: "60" }, process.env);
          if (!parsed.ok) throw new ChatError(parsed.message);
          const started = await startServe(parsed.config, createLogger(process.env.BOD_LOG_LEVEL ?? "warn"));
          embedded = started;
          ranEmbedded = true;
          base = started.url;
          token ??= started.signInToken;
        }
        token ??= (await readFile(join(dataDir, "owner-token"), "utf8").catch(() => "")).trim() || undefined;
        if (!token)
          throw new ChatError(`no token: pass --token, set BOD_TOKEN, or run next to the server's data dir (${dataDir}/owner-token).`);
        const project = await resolveProject(base, token, flags.data.project);
        log(`${project.created ? "Created project" : "Project"} ${project.name} (${project.id})`);
        const turn = await runChatTurn(base, token, project.id, text, log);
        if (embedded) {
          // The in-process server stops now (its worker drains and saves); artifacts stay on disk.
          await embedded.close();
          embedded = undefined;
        }
        if (flags.data.json) console.log(JSON.stringify(turn, null, 2));
        else {
          console.log(turn.reply);
          for (const artifact of turn.artifacts) {
            const file = join(dataDir, "projects", project.id, "artifacts", artifact.id);
            // In-process, the server is gone now: point at the file. Otherwise at an expiring link.
            const where = ranEmbedded && existsSync(file) ? file : artifact.signedUrl;
            console.log(`${artifact.kind} ${artifact.mimeType} ${where}`);
          }
        }
        if (turn.status !== "completed") process.exitCode = 1;
      } catch (error) {
        console.error(`bod chat: ${error instanceof ChatError ? error.message : error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      } finally {
        await embedded?.close();
      }
    });
}
