// Starts `bin/bod serve` (or `bod gateway`, gateway-process.ts) as its own process, the way a
// person would, on a free port and a fresh data dir, and reads its URL and tokens from what it
// prints. Also runs other `bod` commands.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { stopChild } from "./stop-child.ts";

export const BOD = fileURLToPath(new URL("../../../../bin/bod", import.meta.url));

/** A `bod` server process and what it printed once it was up. */
export type BodProcess<Printed> = Printed & {
  dataDir: string;
  child: ChildProcess;
  /** Everything it wrote to stderr (its JSON log). */
  log(): string;
  stop(): Promise<void>;
};

export type ServeProcess = BodProcess<{ url: string; runtimeToken: string; signInToken: string }>;

const WEB_LINE = /web UI and API: (\S+?)\/?\s+sign-in token: (\S+)/;

/**
 * Runs `bod COMMAND --port 0 --data-dir <fresh dir> ARGS...` and waits until `started` finds what
 * it needs in the process's stdout; stop() ends it (SIGTERM, SIGKILL after 20 s) and removes the dir.
 */
export async function startBodProcess<Printed>(options: {
  command: string;
  args: readonly string[];
  env?: Record<string, string> | undefined;
  dataDirPrefix: string;
  readyTimeoutMs: number;
  started: (stdout: string) => Printed | undefined;
}): Promise<BodProcess<Printed>> {
  const dataDir = await mkdtemp(join(tmpdir(), options.dataDirPrefix));
  const child = spawn(BOD, [options.command, "--port", "0", "--data-dir", dataDir, ...options.args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BOD_LOG_LEVEL: "warn", ...options.env },
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  const printed = await new Promise<Printed>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`bod ${options.command} did not start:\n${stdout}\n${stderr}`)),
      options.readyTimeoutMs,
    );
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bod ${options.command} exited with ${code}:\n${stdout}\n${stderr}`));
    });
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      const found = options.started(stdout);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });
  return {
    ...printed,
    dataDir,
    child,
    log: () => stderr,
    async stop() {
      await stopChild(child, 20_000);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The web UI's URL and sign-in token, from the line `bod serve` and `bod gateway` print. */
export function webLine(stdout: string): { url: string; signInToken: string } | undefined {
  const web = WEB_LINE.exec(stdout);
  return web ? { url: web[1]!, signInToken: web[2]! } : undefined;
}

export function startServeProcess(
  options: { idleTimeoutSeconds?: number; extraArgs?: string[]; env?: Record<string, string> } = {},
): Promise<ServeProcess> {
  return startBodProcess({
    command: "serve",
    args: ["--idle-timeout", String(options.idleTimeoutSeconds ?? 60), ...(options.extraArgs ?? [])],
    env: options.env,
    dataDirPrefix: "bod-gateway-e2e-",
    readyTimeoutMs: 30_000,
    started: (stdout) => {
      const web = webLine(stdout);
      const runtime = /^token: (\S+)$/m.exec(stdout);
      return web && runtime ? { ...web, runtimeToken: runtime[1]! } : undefined;
    },
  });
}

/** Runs `bod ARGS...` and returns its stdout (throws with stderr when it fails). */
export async function runBod(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(BOD, args, { env: { ...process.env, ...env }, timeout: 120_000 });
}

/** The token `bod user add NAME` prints on its last line. */
export async function addUser(dataDir: string, name: string): Promise<string> {
  const { stdout } = await runBod(["user", "add", name, "--data-dir", dataDir]);
  return stdout.trim().split("\n").at(-1)!;
}
