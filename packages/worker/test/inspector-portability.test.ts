// The official MCP Inspector's CLI (@modelcontextprotocol/inspector, pinned) against a real
// `bod worker` over Streamable HTTP: its strict portability check finds nothing to report in any
// tool's schemas, and bad vectors it sends are still refused by the worker with a clear message.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { SCRIPT_TOOL_NAMES, TOOL_CONTRACTS } from "@bod/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, REPOSITORY_ROOT, removeDir, startWorkerProcess, type WorkerProcess } from "./support/worker-process.ts";

const run = promisify(execFile);
const INSPECTOR = join(REPOSITORY_ROOT, "node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js");

let worker: WorkerProcess;
/** The Inspector keeps a catalog under the home folder: a scratch one, not the user's. */
let home: string;

async function inspector(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [INSPECTOR, "--cli", `${worker.url}/mcp`, ...args], {
    timeout: 60_000,
    env: { ...process.env, HOME: home, MCP_CATALOG_PATH: join(home, "mcp.json") },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? 1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
    }),
  );
}

beforeAll(async () => {
  home = await makeTempDir("bod-inspector-home-");
  worker = await startWorkerProcess();
});

afterAll(async () => {
  await worker?.stop();
  if (worker) await removeDir(worker.dataDir);
  if (home) await removeDir(home);
});

describe("MCP Inspector", () => {
  it("reports no schema portability problem in tools/list --strict", async () => {
    const outcome = await inspector("--method", "tools/list", "--strict");
    // Exit 6 and "N tool schema portability errors" on stderr when a schema is not portable.
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(outcome.stderr).not.toMatch(/Error: tool|Warning: tool|portability/);
    const listed = JSON.parse(outcome.stdout) as { tools: Array<{ name: string; inputSchema: Record<string, unknown> }> };
    // run_script is listed only where the operator allows scripts; its schema's portability is
    // checked offline (packages/contracts/src/tool-json-schema.test.ts).
    expect(listed.tools.map((tool) => tool.name)).toEqual(
      TOOL_CONTRACTS.filter((tool) => !SCRIPT_TOOL_NAMES.has(tool.name)).map((tool) => tool.name),
    );
    const addObject = listed.tools.find((tool) => tool.name === "add_object")!;
    expect((addObject.inputSchema.properties as Record<string, unknown>).location).toMatchObject({
      type: "array",
      items: { type: "number" },
      minItems: 3,
      maxItems: 3,
    });
  });

  it("sends a 4-vector and a string in a vector, and the worker refuses both, saying why", async () => {
    const updateObject = (args: object) =>
      inspector("--method", "tools/call", "--tool-name", "update_object", "--tool-args-json", JSON.stringify(args));
    const fourVector = await updateObject({ name: "Cube", location: [1, 2, 3, 4] });
    // Exit 5: the tool answered isError.
    expect(fourVector.code, fourVector.stderr).toBe(5);
    expect(fourVector.stdout).toContain("location: Too big: expected array to have <=3 items");
    const stringInVector = await updateObject({ name: "Cube", translate: [1, "2", 3] });
    expect(stringInVector.code, stringInVector.stderr).toBe(5);
    expect(stringInVector.stdout).toContain("translate.1: Invalid input: expected number, received string");
  });
});
