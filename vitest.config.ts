// Test tiers, named for what they cost (docs/testing.md):
//   unit         packages/*/src/**/*.test.ts, beside the code: nothing outside the process (no child
//                processes, no sockets); unit-tier-guard.ts makes either throw.
//   integration  packages/*/src/**/*.integration.test.ts, beside the code: real loopback sockets and
//                child processes (stand-in workers, a stand-in Blender, HTTP servers), no Blender.
//   e2e          packages/*/test/**/*.test.ts: real Blender, real servers, real PostgreSQL and S3,
//                the official MCP client and a browser.
//   e2e-bpy-*    the worker's and the agent's e2e files again, against each official bpy wheel
//                (Blender 4.5 LTS, 5.0) instead of Debian's Blender, one version after another.
import { defineConfig } from "vitest/config";
import { BPY_TEST_VERSIONS, bpyProjectName, bpyPythonPath } from "./packages/testing/src/test-blenders.ts";

const INTEGRATION = "packages/*/src/**/*.integration.test.ts";
const E2E_SETUP = ["./packages/testing/src/global-setup.ts"];

export default defineConfig({
  test: {
    reporters: ["default", "./scripts/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts"],
          exclude: ["**/node_modules/**", INTEGRATION],
          setupFiles: ["./packages/testing/src/unit-tier-guard.ts"],
          testTimeout: 10_000,
        },
      },
      {
        // Files run in parallel like unit tests: each binds its own ports (port 0) and temporary folders.
        test: {
          name: "integration",
          include: [INTEGRATION],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["packages/*/test/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Blender is heavy and the machine has two cores: run suites one file at a time.
          fileParallelism: false,
          // One PostgreSQL and one S3 server for the run (the other projects start none).
          globalSetup: E2E_SETUP,
        },
      },
      ...BPY_TEST_VERSIONS.map((version, index) => ({
        test: {
          name: bpyProjectName(version),
          include: ["packages/worker/test/**/*.test.ts", "packages/agent/test/**/*.test.ts"],
          // What these check does not depend on Blender (MCP transports and conformance, the
          // schemas' portability): the e2e project runs them once.
          exclude: [
            "**/node_modules/**",
            "packages/worker/test/conformance.test.ts",
            "packages/worker/test/inspector-portability.test.ts",
            "packages/worker/test/worker-transports.test.ts",
          ],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // Each version after the one before and after the e2e project: Blender is heavy.
          sequence: { groupOrder: index + 1 },
          // The worker starts this Blender (packages/worker: BLENDER_PATH is its default).
          env: { BLENDER_PATH: bpyPythonPath(version) },
          globalSetup: E2E_SETUP,
        },
      })),
    ],
  },
});
