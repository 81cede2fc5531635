// Unit tier: which npm packages an image ships, on a small install laid out in a temporary folder
// as npm lays one out (hoisted packages, a nested version, workspace links).
import { lstat, mkdir, mkdtemp, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { copyProductionModules, parseShippedWorkspace, productionModules } from "./production-modules.ts";

let root: string;

async function manifest(path: string, content: Record<string, unknown>): Promise<void> {
  await mkdir(join(root, path), { recursive: true });
  await writeFile(join(root, path, "package.json"), JSON.stringify(content));
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "bod-production-modules-"));
  await manifest(".", { name: "monorepo", workspaces: ["packages/*"] });
  await manifest("packages/cli", {
    name: "@x/cli",
    dependencies: { "@x/worker": "*", "@x/gateway": "*", commander: "1", kube: "1" },
  });
  await manifest("packages/worker", {
    name: "@x/worker",
    dependencies: { pino: "1", zod: "1" },
    optionalDependencies: { "binary-other-os": "1" },
  });
  await manifest("packages/gateway", { name: "@x/gateway", dependencies: { three: "1" } });
  await manifest("node_modules/commander", { name: "commander" });
  await manifest("node_modules/kube", { name: "kube", dependencies: { yaml: "2" } });
  await manifest("node_modules/yaml", { name: "yaml" });
  await manifest("node_modules/pino", { name: "pino", dependencies: { "sonic-boom": "1", zod: "3" } });
  await manifest("node_modules/pino/node_modules/zod", { name: "zod", version: "3" });
  await manifest("node_modules/sonic-boom", {
    name: "sonic-boom",
    peerDependencies: { "not-there": "1" },
    peerDependenciesMeta: { "not-there": { optional: true } },
  });
  await manifest("node_modules/zod", { name: "zod", version: "4" });
  await manifest("node_modules/three", { name: "three" });
  await mkdir(join(root, "node_modules/@x"), { recursive: true });
  for (const name of ["cli", "worker", "gateway"]) await symlink(`../../packages/${name}`, join(root, "node_modules/@x", name));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("productionModules", () => {
  it("follows dependencies the way Node resolves them, leaving out workspaces that are not shipped", async () => {
    const modules = await productionModules(root, [{ name: "@x/cli" }, { name: "@x/worker" }]);
    // pino's own zod 3 comes inside pino's folder; the gateway and its three.js stay out.
    expect(modules.packages).toEqual([
      "node_modules/commander",
      "node_modules/kube",
      "node_modules/pino",
      "node_modules/sonic-boom",
      "node_modules/yaml",
      "node_modules/zod",
    ]);
    expect(modules.workspaces).toEqual([
      { name: "@x/cli", directory: "packages/cli" },
      { name: "@x/worker", directory: "packages/worker" },
    ]);
  });

  it("ships only the named dependencies of a workspace given NAME=DEP,...", async () => {
    const modules = await productionModules(root, [parseShippedWorkspace("@x/cli=commander"), { name: "@x/worker" }]);
    expect(modules.packages).not.toContain("node_modules/kube");
    expect(modules.packages).not.toContain("node_modules/yaml");
    expect(modules.packages).toContain("node_modules/commander");
  });

  it("refuses a dependency the workspace does not declare, and a name that is not a workspace", async () => {
    await expect(productionModules(root, [parseShippedWorkspace("@x/cli=express")])).rejects.toThrow(
      /"express" is not a dependency of @x\/cli \(it has: @x\/worker, @x\/gateway, commander, kube\)/,
    );
    await expect(productionModules(root, [{ name: "@x/nothing" }])).rejects.toThrow(/not a workspace .*there: @x\/cli/);
  });

  it("fails naming who needs a required package that is not installed", async () => {
    await rm(join(root, "node_modules/yaml"), { recursive: true });
    await expect(productionModules(root, [{ name: "@x/cli" }])).rejects.toThrow(/node_modules\/kube needs "yaml"/);
  });

  it("copies the packages and links the shipped workspaces as npm does", async () => {
    const target = join(root, "image");
    await copyProductionModules(root, target, [parseShippedWorkspace("@x/cli=commander"), { name: "@x/worker" }]);
    expect((await lstat(join(target, "node_modules/pino/node_modules/zod/package.json"))).isFile()).toBe(true);
    expect(await readlink(join(target, "node_modules/@x/worker"))).toBe("../../packages/worker");
    await expect(lstat(join(target, "node_modules/@x/gateway"))).rejects.toThrow();
    await expect(lstat(join(target, "node_modules/three"))).rejects.toThrow();
    expect((await lstat(join(target, "node_modules/commander/package.json"))).isFile()).toBe(true);
  });
});

describe("parseShippedWorkspace", () => {
  it("reads NAME and NAME=DEP,DEP, and refuses what is not a package name", () => {
    expect(parseShippedWorkspace("@bod/worker")).toEqual({ name: "@bod/worker" });
    expect(parseShippedWorkspace(" @bod/cli=commander, pino ,zod ")).toEqual({ name: "@bod/cli", only: ["commander", "pino", "zod"] });
    expect(() => parseShippedWorkspace("=zod")).toThrow(/does not name a workspace/);
    expect(() => parseShippedWorkspace("Not A Name")).toThrow(/does not name a workspace/);
  });
});
