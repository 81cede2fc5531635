// Starts `bin/bod gateway` as its own process, the way an operator would, on a free port and a
// fresh data dir, and reads its URL and sign-in token from what it prints.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BOD } from "./serve-process.ts";

export interface GatewayProcess {
  url: string;
  signInToken: string;
  dataDir: string;
  child: ChildProcess;
  /** Everything it wrote to stderr (its JSON log). */
  log(): string;
  stop(): Promise<void>;
}

export async function startGatewayProcess(args: string[], env: Record<string, string> = {}): Promise<GatewayProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), "bod-gateway-process-"));
  const child = spawn(BOD, ["gateway", "--port", "0", "--data-dir", dataDir, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BOD_LOG_LEVEL: "warn", ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  const started = await new Promise<{ url: string; signInToken: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bod gateway did not start:\n${stdout}\n${stderr}`)), 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bod gateway exited with ${code}:\n${stdout}\n${stderr}`));
    });
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      const web = /web UI and API: (\S+?)\/?\s+sign-in token: (\S+)/.exec(stdout);
      if (web) {
        clearTimeout(timer);
        resolve({ url: web[1]!, signInToken: web[2]! });
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
