// `bod docs tools`: regenerates the tool reference in docs/tools.md and the README from the
// contracts. `--check` fails when they are stale (the tests run the same check).
import type { Command } from "commander";

export function registerDocsCommand(program: Command): void {
  program
    .command("docs")
    .description("Generated documentation")
    .command("tools")
    .description("Regenerate the tool reference (docs/tools.md and the README) from the contracts")
    .option("--check", "only report whether they are up to date")
    .action(async (flags: { check?: boolean }) => {
      const { syncToolDocs } = await import("../tool-docs.ts");
      const stale = await syncToolDocs(Boolean(flags.check));
      if (flags.check && stale.length > 0) {
        console.error(`Stale: ${stale.join(", ")}. Run bin/bod docs tools.`);
        process.exit(1);
      }
      console.log(stale.length ? `Updated ${stale.join(", ")}` : "Tool reference is up to date.");
    });
}
