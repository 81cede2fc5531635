// Runs scene tools against a real Blender the way the MCP server does: the input is checked by the
// tool's contract and normalised (colors, scale) before the engine runs it, and the answer is
// checked by the contract's output schema.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findToolContract, getScene, type ToolName, type ToolOutput } from "@bod/contracts";
import pino from "pino";
import { expect } from "vitest";
import { type BridgeCommand, createSceneEngine, type SceneEngine } from "../../src/blender/index.ts";
import { toBridgeArguments } from "../../src/mcp/tool-input.ts";

const logger = pino({ level: process.env.BOD_TEST_LOG ?? "silent" });

export type Scene = ToolOutput<"get_scene">;

/** One real Blender behind a scene engine, with its data folder. */
export interface ContractEngine {
  engine: SceneEngine;
  dataDir: string;
  /** Calls a tool with contract-checked input; resolves to the contract-checked output. */
  tool<Name extends ToolName>(name: Name, input: Record<string, unknown>): Promise<ToolOutput<Name>>;
  /** The whole scene (one page of up to 500 objects). */
  scene(): Promise<Scene>;
  /** An object of the scene by name; throws when there is none. */
  object(name: string): Promise<Scene["objects"][number]>;
  /** Kills Blender with SIGKILL and waits until the engine has started another. */
  killBlender(): Promise<void>;
  /** Stops this engine and starts a new one on the same data folder (the scene comes from the snapshot). */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

export async function startContractEngine(options: { snapshotEvery?: number } = {}): Promise<ContractEngine> {
  const root = await mkdtemp(join(tmpdir(), "bod-tools-"));
  const dataDir = join(root, "project");
  const open = async () => {
    const engine = createSceneEngine({ logger, dataDir, ...(options.snapshotEvery ? { snapshotEvery: options.snapshotEvery } : {}) });
    await engine.start();
    return engine;
  };
  let engine = await open();
  const self: ContractEngine = {
    get engine() {
      return engine;
    },
    dataDir,
    async tool(name, input) {
      const contract = findToolContract(name);
      if (!contract) throw new Error(`no tool ${name}`);
      const args = toBridgeArguments(contract.inputSchema.parse(input) as Record<string, unknown>);
      const result = await engine.call(name as BridgeCommand, args);
      return contract.outputSchema.parse(result) as never;
    },
    async scene() {
      return getScene.outputSchema.parse(await engine.call("get_scene", { limit: 500 }));
    },
    async object(name) {
      const found = (await self.scene()).objects.find((object) => object.name === name);
      if (!found) throw new Error(`no object ${name} in the scene`);
      return found;
    },
    async killBlender() {
      const pid = engine.blenderPid;
      if (pid === undefined) throw new Error("Blender is not running");
      process.kill(pid, "SIGKILL");
      const deadline = Date.now() + 30_000;
      while (engine.blenderPid === pid || engine.blenderPid === undefined) {
        if (Date.now() > deadline) throw new Error("Blender was not restarted");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async reopen() {
      await engine.stop();
      engine = await open();
    },
    async close() {
      await engine.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
  return self;
}

/** Each of `actual`'s numbers is close to the matching one of `expected` (`digits` decimal places, as toBeCloseTo). */
export function expectNear(actual: number[] | undefined, expected: number[], digits = 3): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, index) => {
    expect(actual?.[index]).toBeCloseTo(value, digits);
  });
}
