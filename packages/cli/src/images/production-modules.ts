// The npm packages an image needs, and nothing else. `npm ci --omit=dev` installs what every
// workspace needs; an image ships only some workspaces (the worker image: the command line, the
// worker, the stores and the contracts, not the gateway's web viewer or the agent's SDKs), so
// this walks the dependency graph from those workspaces the way Node resolves a bare import (the
// nearest node_modules up from the importing package) and copies the packages it reaches.
// Workspaces the image leaves out are skipped even where a shipped one depends on them: the
// command line only loads the modules of the command it runs. For the same reason a workspace
// may ship with only some of its dependencies (`@bod/cli=commander,pino,zod`: what `bod worker`
// loads of the command line's, not the Kubernetes client `bod deploy` needs).
// scripts/build-images.sh runs this file directly, and reads the shipped workspaces' folders
// from its output:
//   node production-modules.ts --from STAGING --to CONTEXT --workspace @bod/cli=commander,pino --workspace @bod/worker
import { cp, lstat, mkdir, readdir, readFile, symlink } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

interface Manifest {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  workspaces?: string[];
}

/** A workspace an image ships, with all its production dependencies or only those in `only`. */
export interface ShippedWorkspace {
  name: string;
  only?: readonly string[];
}

/** What an image's node_modules holds. */
export interface ProductionModules {
  /** Package folders to copy, relative to the install root (`node_modules/pino`, ...), outermost only. */
  packages: string[];
  /** Shipped workspaces: name and folder relative to the root (`@bod/worker` → `packages/worker`). */
  workspaces: Array<{ name: string; directory: string }>;
}

/** Parses `NAME` or `NAME=DEPENDENCY,DEPENDENCY` (the form deploy/images/*.workspaces uses). */
export function parseShippedWorkspace(text: string): ShippedWorkspace {
  const [name = "", only] = text.trim().split("=", 2);
  if (!/^(@[a-z0-9._-]+\/)?[a-z0-9._-]+$/.test(name))
    throw new Error(`"${text}" does not name a workspace (expected NAME or NAME=DEPENDENCY,DEPENDENCY)`);
  if (only === undefined) return { name };
  return {
    name,
    only: only
      .split(",")
      .map((dependency) => dependency.trim())
      .filter((dependency) => dependency !== ""),
  };
}

async function readManifest(directory: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(directory, "package.json"), "utf8")) as Manifest;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** The workspaces of the install at `root`, by name (only the `folder/*` form of the field). */
export async function listWorkspaces(root: string): Promise<Map<string, string>> {
  const manifest = await readManifest(root);
  const byName = new Map<string, string>();
  for (const pattern of manifest.workspaces ?? []) {
    if (!pattern.endsWith("/*")) throw new Error(`workspace pattern "${pattern}" is not supported (only "folder/*")`);
    const parent = pattern.slice(0, -2);
    for (const entry of await readdir(join(root, parent), { withFileTypes: true })) {
      if (!entry.isDirectory() || !(await exists(join(root, parent, entry.name, "package.json")))) continue;
      const workspace = await readManifest(join(root, parent, entry.name));
      if (workspace.name) byName.set(workspace.name, `${parent}/${entry.name}`);
    }
  }
  return byName;
}

/**
 * The packages reachable from the `shipped` workspaces in the install at `root` (which has run
 * `npm ci --omit=dev`). Throws when a required dependency is not installed, naming who needs it,
 * or when `only` names something the workspace does not depend on; a missing optional dependency
 * (another platform's binary) is skipped.
 */
export async function productionModules(root: string, shipped: readonly ShippedWorkspace[]): Promise<ProductionModules> {
  const absoluteRoot = resolve(root);
  const workspaces = await listWorkspaces(absoluteRoot);
  /** The dependencies a shipped workspace is limited to, by its folder. */
  const limits = new Map<string, ReadonlySet<string>>();
  for (const { name, only } of shipped) {
    const directory = workspaces.get(name);
    if (!directory) throw new Error(`"${name}" is not a workspace of ${absoluteRoot} (there: ${[...workspaces.keys()].join(", ")})`);
    if (!only) continue;
    const declared = (await readManifest(join(absoluteRoot, directory))).dependencies ?? {};
    for (const dependency of only) {
      if (!(dependency in declared))
        throw new Error(`"${dependency}" is not a dependency of ${name} (it has: ${Object.keys(declared).join(", ") || "none"})`);
    }
    limits.set(join(absoluteRoot, directory), new Set(only));
  }
  const reached = new Set<string>();
  const queue: string[] = shipped.map(({ name }) => join(absoluteRoot, workspaces.get(name)!));
  const visited = new Set<string>(queue);

  /** Node's lookup: `node_modules/<name>` in the folder and each parent up to the root. */
  const locate = async (from: string, name: string): Promise<string | undefined> => {
    let directory = from;
    for (;;) {
      const candidate = join(directory, "node_modules", name);
      if (await exists(join(candidate, "package.json"))) return candidate;
      if (directory === absoluteRoot || !directory.startsWith(absoluteRoot)) return undefined;
      directory = dirname(directory);
    }
  };

  while (queue.length > 0) {
    const directory = queue.shift()!;
    const manifest = await readManifest(directory);
    const limit = limits.get(directory);
    const wanted: Array<[string, boolean]> = [
      ...Object.keys(manifest.dependencies ?? {}).map((name): [string, boolean] => [name, false]),
      ...Object.keys(manifest.optionalDependencies ?? {}).map((name): [string, boolean] => [name, true]),
      ...Object.keys(manifest.peerDependencies ?? {}).map((name): [string, boolean] => [
        name,
        manifest.peerDependenciesMeta?.[name]?.optional === true,
      ]),
    ];
    for (const [name, optional] of wanted) {
      if (limit && !limit.has(name)) continue;
      // A workspace is shipped as a link to its sources, or not at all: an image leaves out the
      // workspaces whose commands it never runs.
      if (workspaces.has(name)) continue;
      const found = await locate(directory, name);
      if (!found) {
        if (optional) continue;
        throw new Error(`${relative(absoluteRoot, directory) || "."} needs "${name}", which is not installed under ${absoluteRoot}`);
      }
      if (visited.has(found)) continue;
      visited.add(found);
      reached.add(relative(absoluteRoot, found));
      queue.push(found);
    }
  }

  // A package nested in another one that is copied whole comes along with it.
  const sorted = [...reached].sort();
  const outermost = sorted.filter((path) => !sorted.some((other) => other !== path && path.startsWith(`${other}${sep}`)));
  return { packages: outermost, workspaces: shipped.map(({ name }) => ({ name, directory: workspaces.get(name)! })) };
}

/**
 * Copies the packages `productionModules` finds from `from` to `to`, and links each shipped
 * workspace into `to/node_modules` as npm does (a relative symlink), so that Node resolves them
 * to their real folder outside node_modules, where it strips TypeScript.
 */
export async function copyProductionModules(from: string, to: string, shipped: readonly ShippedWorkspace[]): Promise<ProductionModules> {
  const modules = await productionModules(from, shipped);
  for (const path of modules.packages) {
    await mkdir(dirname(join(to, path)), { recursive: true });
    await cp(join(from, path), join(to, path), { recursive: true, verbatimSymlinks: true, force: true });
  }
  for (const { name, directory } of modules.workspaces) {
    const link = join(to, "node_modules", name);
    await mkdir(dirname(link), { recursive: true });
    if (!(await exists(link))) await symlink(relative(dirname(link), join(to, directory)), link);
  }
  return modules;
}

async function main(argv: readonly string[]): Promise<void> {
  let from: string | undefined;
  let to: string | undefined;
  const shipped: ShippedWorkspace[] = [];
  for (let index = 0; index < argv.length; index += 2) {
    const [flag, value] = [argv[index], argv[index + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--from") from = value;
    else if (flag === "--to") to = value;
    else if (flag === "--workspace") shipped.push(parseShippedWorkspace(value));
    else throw new Error(`unknown option ${flag} (allowed: --from DIR --to DIR --workspace NAME[=DEPENDENCY,...]...)`);
  }
  if (!from || !to || shipped.length === 0)
    throw new Error("usage: production-modules.ts --from DIR --to DIR --workspace NAME[=DEPENDENCY,...] [--workspace ...]");
  const modules = await copyProductionModules(from, to, shipped);
  // The shipped workspaces' folders, one a line, for the caller to copy their sources.
  for (const { directory } of modules.workspaces) console.log(directory);
  console.error(`${modules.packages.length} packages for ${shipped.map(({ name }) => name).join(", ")}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(`production-modules: ${error.message}`);
    process.exit(1);
  });
}
