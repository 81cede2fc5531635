// Unit tier: the script sandbox's command line, the seccomp program's encoding, and how the
// script's output is cut and counted. That the sandbox holds is the e2e tests' (test/run-script.test.ts).
import { describe, expect, it } from "vitest";
import { createOutputCollector } from "./run-sandboxed-script.ts";
import { type ResolvedScriptSandbox, runnerCommand, SCRIPT_RUNNER, SCRIPT_SCRATCH, scriptSandboxCommand } from "./script-sandbox.ts";
import { noNewProcessesFilter } from "./seccomp-filter.ts";

const sandbox: ResolvedScriptSandbox = {
  bwrapPath: "/usr/bin/bwrap",
  prlimitPath: "/usr/bin/prlimit",
  blenderPath: "/opt/blender-4.5/blender",
  runnerPath: "/srv/bod/script_runner.py",
  memoryMiB: 2048,
  maxFileMiB: 1024,
};

describe("scriptSandboxCommand", () => {
  const command = scriptSandboxCommand(sandbox, "/data/tmp/script-1", ["/opt/blender-4.5/blender", "-b"], { cpuSeconds: 50, seccompFd: 3 });
  const pairs = (flag: string) => command.flatMap((part, index) => (part === flag ? [command[index + 1]] : []));

  it("sets the limits with prlimit around bwrap", () => {
    expect(command.slice(0, 7)).toEqual([
      "/usr/bin/prlimit",
      `--as=${2048 * 1024 * 1024}`,
      "--cpu=50:53",
      `--fsize=${1024 * 1024 * 1024}`,
      "--core=0",
      "--nofile=1024",
      "--",
    ]);
    expect(command[7]).toBe("/usr/bin/bwrap");
  });

  it("gives no network, no environment, no processes and one writable folder", () => {
    expect(command).toEqual(
      expect.arrayContaining(["--unshare-all", "--unshare-user", "--disable-userns", "--clearenv", "--die-with-parent"]),
    );
    expect(command).not.toContain("--share-net");
    expect(command).not.toContain("--proc");
    expect(pairs("--seccomp")).toEqual(["3"]);
    expect(pairs("--bind")).toEqual(["/data/tmp/script-1"]);
    expect(command[command.indexOf("--bind") + 2]).toBe(SCRIPT_SCRATCH);
    expect(pairs("--cap-drop")).toEqual(["ALL"]);
    // The root goes read-only last, after every mount, just before the command.
    expect(command.slice(command.lastIndexOf("--remount-ro"), command.lastIndexOf("--remount-ro") + 5)).toEqual([
      "--remount-ro",
      "/",
      "--",
      "/opt/blender-4.5/blender",
      "-b",
    ]);
  });

  it("shows Blender's own folder and the runner read-only", () => {
    const readOnly = command.flatMap((part, index) => (part === "--ro-bind" ? [`${command[index + 1]}:${command[index + 2]}`] : []));
    expect(readOnly).toContain("/usr:/usr");
    expect(readOnly).toContain("/opt/blender-4.5:/opt/blender-4.5");
    expect(readOnly).toContain(`/srv/bod/script_runner.py:${SCRIPT_RUNNER}`);
    expect(readOnly.some((mount) => mount.startsWith("/data"))).toBe(false);
  });
});

describe("runnerCommand", () => {
  it("runs Blender in background mode with autoexec off, or a Python with bpy in isolated mode", () => {
    expect(runnerCommand("/usr/bin/blender")).toEqual(
      expect.arrayContaining(["-b", "--factory-startup", "--disable-autoexec", SCRIPT_RUNNER]),
    );
    expect(runnerCommand("/venv/bin/python3.11").slice(0, 3)).toEqual(["/venv/bin/python3.11", "-I", SCRIPT_RUNNER]);
  });
});

describe("noNewProcessesFilter", () => {
  it("is whole 8-byte instructions that end in returns, and every jump lands inside it", () => {
    const program = noNewProcessesFilter();
    expect(program.length % 8).toBe(0);
    const count = program.length / 8;
    for (let index = 0; index < count; index++) {
      const code = program.readUInt16LE(index * 8);
      const jumpTrue = program.readUInt8(index * 8 + 2);
      const jumpFalse = program.readUInt8(index * 8 + 3);
      if ((code & 0x07) === 0x05) {
        expect(index + 1 + jumpTrue).toBeLessThan(count);
        expect(index + 1 + jumpFalse).toBeLessThan(count);
      }
    }
    expect(program.readUInt16LE((count - 1) * 8)).toBe(0x06);
    // Allow is among its answers, and so are EAGAIN and ENOSYS.
    const returns = Array.from({ length: count }, (_, index) => index)
      .filter((index) => program.readUInt16LE(index * 8) === 0x06)
      .map((index) => program.readUInt32LE(index * 8 + 4));
    expect(returns).toEqual(expect.arrayContaining([0x7fff0000, 0x00050000 | 11, 0x00050000 | 38]));
  });
});

describe("createOutputCollector", () => {
  const marker = "bod-script-test";

  it("keeps what the code printed between the markers, without Blender's own lines", () => {
    const collector = createOutputCollector(marker, 1000);
    collector.push(Buffer.from(`Blender 4.5\nRead blend: /scratch/in.blend\n${marker}\nhel`));
    collector.push(Buffer.from(`lo\n\n${marker}\nInfo: Saved "out.blend"\n`));
    expect(collector.finish()).toEqual({ text: "hello\n", truncated: false, bytes: 6 });
  });

  it("cuts at the limit and counts the rest, finding the closing marker across chunks", () => {
    const collector = createOutputCollector(marker, 10);
    collector.push(Buffer.from(`${marker}\n`));
    for (let index = 0; index < 100; index++) collector.push(Buffer.from("0123456789"));
    collector.push(Buffer.from(`\n${marker.slice(0, 5)}`));
    collector.push(Buffer.from(`${marker.slice(5)}\n`));
    expect(collector.finish()).toEqual({ text: "0123456789", truncated: true, bytes: 1000 });
  });

  it("reports what Blender said when the code never started", () => {
    const collector = createOutputCollector(marker, 1000);
    collector.push(Buffer.from("Error: cannot read /scratch/in.blend\n"));
    expect(collector.finish()).toEqual({ text: "Error: cannot read /scratch/in.blend\n", truncated: false, bytes: 0 });
  });
});
