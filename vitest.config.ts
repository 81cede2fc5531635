// Test tiers, named for what they cost (docs/testing.md):
//   unit         packages/*/src/**/*.test.ts, beside the code: nothing outside the process (no child
//                processes, no sockets); unit-tier-guard.ts makes either throw.
//   integration  packages/*/src/**/*.integration.test.ts, beside the code: real loopback sockets and
//                child processes (stand-in workers, a stand-in Blender, HTTP servers), no Blender.
//   e2e          packages/*/test/**/*.test.ts: real Blender, real servers, real PostgreSQL and S3,
//                the official MCP client and a browser.
import { defineConfig } from "vitest/config";

const INTEGRATION = "packages/*/src/**/*.integration.test.ts";

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
          globalSetup: ["./packages/testing/src/global-setup.ts"],
        },
      },
    ],
  },
});
