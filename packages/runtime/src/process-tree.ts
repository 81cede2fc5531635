// Resident memory of a process and all its descendants (a worker, its sandbox and its Blender),
// read from /proc. Returns undefined where /proc is not available or the process is gone.
import { readdir, readFile } from "node:fs/promises";

const PAGE_BYTES = 4096;

async function childrenByParent(): Promise<Map<number, number[]> | undefined> {
  let names: string[];
  try {
    names = await readdir("/proc");
  } catch {
    return undefined;
  }
  const children = new Map<number, number[]>();
  await Promise.all(
    names
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
        // Fields after the command name (which may contain spaces) start after the last ")".
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const parent = Number(fields[1]);
        if (!Number.isFinite(parent)) return;
        const list = children.get(parent) ?? [];
        list.push(Number(name));
        children.set(parent, list);
      }),
  );
  return children;
}

function descendantsOf(rootPid: number, children: Map<number, number[]>): number[] {
  const found: number[] = [];
  const stack = [...(children.get(rootPid) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    found.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** The first descendant of `rootPid` whose command line matches `pattern` (e.g. Blender inside a sandbox). */
export async function findInProcessTree(rootPid: number, pattern: RegExp): Promise<number | undefined> {
  const children = await childrenByParent();
  if (!children) return undefined;
  for (const pid of descendantsOf(rootPid, children)) {
    const command = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (pattern.test(command.replaceAll("\0", " "))) return pid;
  }
  return undefined;
}

export async function processTreeRss(rootPid: number): Promise<number | undefined> {
  const children = await childrenByParent();
  if (!children) return undefined;
  let total = 0;
  let found = false;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const statm = await readFile(`/proc/${pid}/statm`, "utf8").catch(() => undefined);
    if (statm !== undefined) {
      found = true;
      total += Number(statm.split(" ")[1] ?? 0) * PAGE_BYTES;
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return found ? total : undefined;
}
