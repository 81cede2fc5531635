// SceneStore over folders, the embedded default. A project's scene is `<project folder>/scene/`,
// the layout workers have always written, so existing projects restore unchanged:
//   journal.jsonl    one JSON line per journal line, appended with O_DSYNC
//   snapshot.blend   the latest snapshot, replaced by an atomic rename (file and folder fsynced)
//   imports/<name>   files kept for replay, each written beside its place and renamed in
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { copyFile, type FileHandle, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  checkProjectId,
  checkSceneFileName,
  checkSeq,
  isJournalLine,
  type JournalLine,
  journalLineText,
  type ProjectScene,
  type SceneStore,
} from "./scene-store.ts";

export interface FileSceneStoreOptions {
  /** Folder holding one folder per project: `<root>/<projectId>/scene/`. Required without `projectDirectory`. */
  root?: string;
  /** A project's folder in place of `<root>/<projectId>`, e.g. the one data dir a worker was given. */
  projectDirectory?: (projectId: string) => string;
  /** Told about journal lines that cannot be read (a torn last line after a crash); they are skipped. */
  onCorruptLine?: (projectId: string, lineNumber: number, line: string) => void;
}

/** Creates the store; folders are made when first written. */
export function createFileSceneStore(options: FileSceneStoreOptions): SceneStore {
  const { root, projectDirectory } = options;
  if (!projectDirectory && !root) throw new TypeError("createFileSceneStore needs `root` or `projectDirectory`.");
  const directoryOf = (projectId: string) => (projectDirectory ? projectDirectory(projectId) : join(root as string, projectId));
  const opened = new Set<ProjectScene>();

  return {
    shared: false,
    async open(projectId) {
      checkProjectId(projectId);
      const scene = openFileProjectScene(projectId, join(directoryOf(projectId), "scene"), options.onCorruptLine, (closed) =>
        opened.delete(closed),
      );
      opened.add(scene);
      return scene;
    },
    async deleteProject(projectId) {
      checkProjectId(projectId);
      await rm(join(directoryOf(projectId), "scene"), { recursive: true, force: true });
    },
    async close() {
      await Promise.all([...opened].map((scene) => scene.close()));
    },
  };
}

function openFileProjectScene(
  projectId: string,
  sceneDirectory: string,
  onCorruptLine: FileSceneStoreOptions["onCorruptLine"],
  onClose: (scene: ProjectScene) => void,
): ProjectScene {
  const journalPath = join(sceneDirectory, "journal.jsonl");
  const snapshotPath = join(sceneDirectory, "snapshot.blend");
  const importsDirectory = join(sceneDirectory, "imports");
  let handle: FileHandle | undefined;
  // The next line must start on a line of its own: the file ends in a torn line (a crash or a
  // failed write mid-line), which would otherwise glue itself to it.
  let freshLine = false;
  let closed = false;
  // Journal writes and reads run one after another, in call order: a replacement or void line
  // lands after the line it settles, and truncation never races an append.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(() => {
      if (closed) throw new Error(`The scene of project ${projectId} is closed.`);
      return task();
    });
    queue = run.catch(() => undefined);
    return run;
  };

  async function writable(): Promise<FileHandle> {
    if (handle) return handle;
    await mkdir(sceneDirectory, { recursive: true });
    // O_DSYNC: a write returns once its data is on disk, as write plus fdatasync would, in one
    // trip to the thread pool instead of two (a write is on every mutating call's path).
    const file = await open(journalPath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC);
    try {
      const { size } = await file.stat();
      if (size > 0) freshLine = !(await endsWithNewline(journalPath, size));
    } catch (error) {
      await file.close();
      throw error;
    }
    handle = file;
    return file;
  }

  async function closeHandle() {
    const file = handle;
    handle = undefined;
    await file?.close();
  }

  async function readLines(): Promise<JournalLine[]> {
    const lines: JournalLine[] = [];
    (await readText(journalPath)).split("\n").forEach((text, index) => {
      if (!text.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (isJournalLine(value)) lines.push(value);
      else onCorruptLine?.(projectId, index + 1, text);
    });
    return lines;
  }

  const whileOpen = () => {
    if (closed) throw new Error(`The scene of project ${projectId} is closed.`);
  };

  const scene: ProjectScene = {
    projectId,
    // One worker at a time reaches the folder (the local runtime moves it into that worker's sandbox).
    superseded: false,
    async appendJournal(line) {
      const text = journalLineText(line);
      return serial(async () => {
        const file = await writable();
        const data = Buffer.from(`${freshLine ? "\n" : ""}${text}\n`);
        try {
          const { bytesWritten } = await file.write(data);
          if (bytesWritten !== data.length) throw new Error(`Only ${bytesWritten} of ${data.length} bytes of a journal line were written.`);
          freshLine = false;
        } catch (error) {
          // Part of the line may be on disk: the next one starts afresh, and readers skip the part.
          freshLine = true;
          throw error;
        }
      });
    },
    readJournal() {
      return serial(readLines);
    },
    async truncateJournal(uptoSeq) {
      checkSeq(uptoSeq, "uptoSeq");
      return serial(async () => {
        const kept = (await readLines()).filter((line) => line.seq > uptoSeq);
        // The open handle points at the file about to be replaced.
        await closeHandle();
        await mkdir(sceneDirectory, { recursive: true });
        const temporary = `${journalPath}.tmp-${randomUUID()}`;
        try {
          const file = await open(temporary, "w");
          try {
            await file.write(kept.map((line) => `${JSON.stringify(line)}\n`).join(""));
            await file.sync();
          } finally {
            await file.close();
          }
          await rename(temporary, journalPath);
        } catch (error) {
          await rm(temporary, { force: true });
          throw error;
        }
        await fsyncPath(sceneDirectory);
        freshLine = false;
      });
    },
    async readSnapshot(localPath) {
      whileOpen();
      return copyOut(snapshotPath, localPath);
    },
    async writeSnapshot(localPath) {
      whileOpen();
      await copyIn(localPath, snapshotPath);
    },
    async putFile(name, localPath) {
      const target = join(importsDirectory, ...checkSceneFileName(name).split("/"));
      whileOpen();
      await copyIn(localPath, target);
    },
    async getFile(name, localPath) {
      const source = join(importsDirectory, ...checkSceneFileName(name).split("/"));
      whileOpen();
      return copyOut(source, localPath);
    },
    async deleteFiles() {
      whileOpen();
      await rm(importsDirectory, { recursive: true, force: true });
    },
    async close() {
      if (closed) return;
      await queue;
      closed = true;
      await closeHandle();
      onClose(scene);
    },
  };
  return scene;
}

/**
 * Copies a local file into the store at `target`: beside it first, flushed, then renamed over it
 * and the folder flushed, so the target is the old file or the whole new one, even after a power
 * cut. A copy-on-write filesystem clones instead of copying.
 */
async function copyIn(source: string, target: string): Promise<void> {
  const folder = dirname(target);
  await mkdir(folder, { recursive: true });
  const temporary = join(folder, `.tmp-${randomUUID()}`);
  try {
    await copyFile(source, temporary, constants.COPYFILE_FICLONE);
    await fsyncPath(temporary);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await fsyncPath(folder);
}

/** Copies a stored file out to `target` (whole or not at all); false when it does not exist. */
async function copyOut(source: string, target: string): Promise<boolean> {
  await mkdir(dirname(target), { recursive: true });
  const temporary = `${target}.tmp-${randomUUID()}`;
  try {
    await copyFile(source, temporary, constants.COPYFILE_FICLONE);
    await rename(temporary, target);
    return true;
  } catch (error) {
    await rm(temporary, { force: true });
    // The folder of `target` was just made: a missing file can only be the source.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw error;
  }
}

async function endsWithNewline(path: string, size: number): Promise<boolean> {
  const file = await open(path, "r");
  try {
    const last = Buffer.alloc(1);
    await file.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await file.close();
  }
}

/** Flushes a file or folder to disk, so a rename that follows or precedes it survives a power cut. */
async function fsyncPath(path: string): Promise<void> {
  const file = await open(path, "r");
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}
