// The Blenders the end-to-end tests run against: Debian's `blender` (the `e2e` project) and the
// official bpy wheels, Blender as a Python module, each in a virtual environment of its own that
// `scripts/setup.sh --for-tests` creates (the `e2e-bpy-*` projects, which set BLENDER_PATH to its
// interpreter). The versions are named here only; setup.sh reads them from this file.
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The bpy wheel versions the worker and agent e2e tests also run against: the latest 4.5 LTS and
 * 5.0 releases on PyPI. Both are built for CPython 3.11, Debian 12's python3.
 */
export const BPY_TEST_VERSIONS = ["4.5.15", "5.0.1"] as const;

/** The folder the test servers and bpy environments are cached in: $XDG_CACHE_HOME/blender-on-demand. */
export function testCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "blender-on-demand");
}

/** The Python interpreter of bpy `version`'s virtual environment (it may not exist yet). */
export function bpyPythonPath(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(testCacheDir(env), `bpy-${version}`, "bin", "python");
}

/** "4.5.15" -> "4.5": the e2e project of a version is named e2e-bpy-<major.minor>. */
export function bpyProjectName(version: string): string {
  return `e2e-bpy-${version.split(".").slice(0, 2).join(".")}`;
}
