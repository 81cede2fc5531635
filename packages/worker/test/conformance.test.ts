// The official MCP conformance suite (@modelcontextprotocol/conformance) against a real
// worker: the generic server scenarios every MCP server should pass.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPOSITORY_ROOT, removeDir, startWorkerProcess, type WorkerProcess } from "./support/worker-process.ts";

const run = promisify(execFile);
const CONFORMANCE_CLI = join(REPOSITORY_ROOT, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const SCENARIOS = ["server-initialize", "ping", "tools-list", "dns-rebinding-protection", "logging-set-level", "resources-list"];

let worker: WorkerProcess;

beforeAll(async () => {
  worker = await startWorkerProcess();
});

afterAll(async () => {
  await worker?.stop();
  if (worker) await removeDir(worker.dataDir);
});

describe("MCP conformance suite", () => {
  for (const scenario of SCENARIOS) {
    it(scenario, async () => {
      const outcome = await run(process.execPath, [CONFORMANCE_CLI, "server", "--url", `${worker.url}/mcp`, "--scenario", scenario], {
        timeout: 60_000,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({
          code: error.code ?? 1,
          output: `${error.stdout}${error.stderr}`,
        }),
      );
      expect(outcome.code, outcome.output).toBe(0);
      expect(outcome.output).toMatch(/Passed: [1-9]\d*\/\d+, 0 failed/);
    });
  }
});
