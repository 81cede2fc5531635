// The filesystem side of the activator. A project's durable folder is `<dataDir>/projects/<id>`
// (scene snapshot, journal, artifacts). While a worker runs for it, the folder is moved (one
// rename) into that worker's own instance folder `<dataDir>/instances/<iid>/project`, the only
// place the worker can write, and moved back when the worker is gone. Moving rather than mounting
// is what lets a warm pool worker, sandboxed before anyone knew its project, see the project's
// files: a bind mount follows the directory, not its name.
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface ProjectFolders {
  readonly projectsDir: string;
  readonly instancesDir: string;
  /** A fresh, empty instance folder. */
  createInstanceDir(): Promise<string>;
  /** Moves the project's folder into the instance folder (creating it if new); returns its new path. */
  checkout(projectId: string, instanceDir: string): Promise<string>;
  /** Moves a checked-out project back to its durable place and removes the instance folder. */
  checkin(instanceDir: string): Promise<void>;
  /** Puts back every project left checked out by a runtime that did not stop cleanly. */
  recover(): Promise<string[]>;
  /** Where the project's durable folder is when no worker holds it. */
  homeOf(projectId: string): string;
}

const MARKER = "project-id";

export function createProjectFolders(dataDir: string): ProjectFolders {
  const projectsDir = join(dataDir, "projects");
  const instancesDir = join(dataDir, "instances");

  async function checkin(instanceDir: string): Promise<void> {
    const projectId = (await readFile(join(instanceDir, MARKER), "utf8").catch(() => "")).trim();
    if (projectId) {
      const home = join(projectsDir, projectId);
      try {
        await rename(join(instanceDir, "project"), home);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT") {
          // Something already sits at home: keep both rather than lose either.
          await rename(join(instanceDir, "project"), `${home}.orphan-${Date.now()}`).catch(() => {});
        }
      }
    }
    await rm(instanceDir, { recursive: true, force: true });
  }

  return {
    projectsDir,
    instancesDir,
    homeOf: (projectId) => join(projectsDir, projectId),
    async createInstanceDir() {
      // Short names: the sandbox's Unix socket lives here and socket paths are limited to 107 bytes.
      const dir = join(instancesDir, randomBytes(4).toString("hex"));
      await mkdir(dir, { recursive: true });
      return dir;
    },
    async checkout(projectId, instanceDir) {
      await mkdir(projectsDir, { recursive: true });
      await writeFile(join(instanceDir, MARKER), projectId);
      const target = join(instanceDir, "project");
      try {
        await rename(join(projectsDir, projectId), target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        await mkdir(target, { recursive: true });
      }
      return target;
    },
    checkin,
    async recover() {
      const names = await readdir(instancesDir).catch(() => [] as string[]);
      const recovered: string[] = [];
      for (const name of names) {
        const dir = join(instancesDir, name);
        if (!(await stat(dir).catch(() => undefined))?.isDirectory()) continue;
        const projectId = (await readFile(join(dir, MARKER), "utf8").catch(() => "")).trim();
        await checkin(dir);
        if (projectId) recovered.push(projectId);
      }
      return recovered;
    },
  };
}
