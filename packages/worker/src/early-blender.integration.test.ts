// Blender started ahead of the worker by a shell, with real processes: the stand-in Blender behind an
// executable whose path has a quote, the shell line blenderFirstCommand builds, and a worker that
// adopts the child, supervises it like its own and replaces it when it crashes.
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { blenderFirstCommand } from "./early-blender.ts";

const FAKE_BLENDER = fileURLToPath(new URL("./blender/testing/fake-blender.ts", import.meta.url));
const ADOPTING_WORKER = fileURLToPath(new URL("./blender/testing/adopting-worker.ts", import.meta.url));

describe("Blender started ahead of the worker by a shell", { timeout: 30_000 }, () => {
  it("is adopted by the worker, supervised like its own child, and replaced by one when it crashes", async () => {
    const folder = await mkdtemp(join(tmpdir(), "bod-blender-first-"));
    try {
      // A Blender executable with a quote in its path, which the launcher must pass on intact.
      const blender = join(folder, "it's blender");
      await writeFile(blender, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_BLENDER}" "$@"\n`);
      await chmod(blender, 0o755);
      await mkdir(join(folder, "tmp"));
      const [shell, ...args] = blenderFirstCommand(blender, [process.execPath, ADOPTING_WORKER]);
      const { stdout } = await promisify(execFile)(shell as string, args, {
        env: { ...process.env, TMPDIR: join(folder, "tmp"), BLENDER_PATH: blender },
      });
      const seen = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
      expect(seen.adoptedPid).toBeGreaterThan(0);
      // The adopted Blender was the one the shell started: the engine's first command reached it.
      expect(seen.received).toEqual(["ping"]);
      expect(seen.crash).toBe("blender_crashed");
      expect(seen.restartedPid).toBeGreaterThan(0);
      expect(seen.restartedPid).not.toBe(seen.adoptedPid);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
