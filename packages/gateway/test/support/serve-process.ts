// Starts `bin/bod serve` as its own process, the way a person would, on a free port and a fresh
// data dir, and reads its URL and tokens from what it prints. Also runs other `bod` commands.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const BOD = fileURLToPath(new URL("../../../../bin/bod", import.meta.url));

export interface ServeProcess {
  url: string;
  runtimeToken: string;
  signInToken: string;
  dataDir: string;
  child: ChildProcess;
  /** Everything it wrote to stderr (its JSON log). */
  log(): string;
  stop(): Promise<void>;
}

export async function startServeProcess(
  options: { idleTimeoutSeconds?: number; extraArgs?: string[]; env?: Record<string, string> } = {},
): Promise<ServeProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), "bod-gateway-e2e-"));
  const child = spawn(
    BOD,
    [
      "serve",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      "--idle-timeout",
      String(options.idleTimeoutSeconds ?? 60),
      ...(options.extraArgs ?? []),
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, BOD_LOG_LEVEL: "warn", ...options.env } },
  );
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  const started = await new Promise<{ url: string; runtimeToken: string; signInToken: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bod serve did not start:\n${stdout}\n${stderr}`)), 30_000);
    child.once("exit", (code) => reject(new Error(`bod serve exited with ${code}:\n${stdout}\n${stderr}`)));
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      const web = /web UI and API: (\S+?)\/?\s+sign-in token: (\S+)/.exec(stdout);
      const runtime = /^token: (\S+)$/m.exec(stdout);
      if (web && runtime) {
        clearTimeout(timer);
        resolve({ url: web[1]!, signInToken: web[2]!, runtimeToken: runtime[1]! });
      }
    });
  });
  return {
    ...started,
    dataDir,
    child,
    log: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
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
