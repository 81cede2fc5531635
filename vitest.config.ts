// Test tiers: `unit` tests sit next to the code and start nothing; `e2e` tests live in each
// package's test/ folder and drive real Blender, real HTTP, the official MCP client and a browser.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default", "./scripts/summary-reporter.ts"],
    projects: [
      {
        test: { name: "unit", include: ["packages/*/src/**/*.test.ts"], testTimeout: 10_000 },
      },
      {
        test: {
          name: "e2e",
          include: ["packages/*/test/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Blender is heavy and the machine has two cores: run suites one file at a time.
          fileParallelism: false,
          // One PostgreSQL and one S3 server for the run (the unit project starts none).
          globalSetup: ["./packages/testing/src/global-setup.ts"],
        },
      },
    ],
  },
});
