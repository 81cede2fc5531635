// ArtifactStore over a folder: each artifact is `<id>` with a `<id>.json` record beside it.
// Ids are 128 random bits plus the extension, so a URL cannot be guessed from another.
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Artifact, ArtifactIdSchema, ArtifactSchema } from "@bod/contracts";
import type { ArtifactStore, PutArtifactInput, StoredArtifact } from "./artifact-store.ts";

export interface FilesystemArtifactStoreOptions {
  /** Folder that holds the artifacts; created when missing. */
  directory: string;
  /**
   * Builds the public URL of an artifact. The worker's own HTTP server serves
   * `/artifacts/<id>`; behind the runtime or gateway the prefix differs.
   */
  urlFor: (id: string) => string;
}

export function createFilesystemArtifactStore(options: FilesystemArtifactStoreOptions): ArtifactStore {
  const { directory, urlFor } = options;
  let created: Promise<unknown> | undefined;
  const ensureDirectory = () => {
    created ??= mkdir(directory, { recursive: true });
    return created;
  };

  async function readRecord(id: string): Promise<Artifact | undefined> {
    try {
      const record = ArtifactSchema.omit({ url: true }).parse(JSON.parse(await readFile(join(directory, `${id}.json`), "utf8")));
      return { ...record, url: urlFor(id) };
    } catch {
      return undefined;
    }
  }

  return {
    async put(input: PutArtifactInput): Promise<Artifact> {
      if (!/^[a-z0-9]{1,8}$/.test(input.extension)) throw new Error(`Bad artifact extension: ${input.extension}`);
      await ensureDirectory();
      const id = `${randomBytes(16).toString("hex")}.${input.extension}`;
      const target = join(directory, id);
      if ("bytes" in input.source) {
        await writeFile(target, input.source.bytes);
      } else {
        // Rename when on the same filesystem; copy otherwise (e.g. a tmpfs scratch dir).
        await rename(input.source.filePath, target).catch(async () => {
          await copyFile((input.source as { filePath: string }).filePath, target);
          await rm((input.source as { filePath: string }).filePath, { force: true });
        });
      }
      const { size } = await stat(target);
      const record = { id, kind: input.kind, mimeType: input.mimeType, bytes: size, createdAt: new Date().toISOString() };
      await writeFile(join(directory, `${id}.json`), JSON.stringify(record));
      return { ...record, url: urlFor(id) };
    },

    async get(id: string): Promise<StoredArtifact | undefined> {
      if (!ArtifactIdSchema.safeParse(id).success) return undefined;
      const artifact = await readRecord(id);
      return artifact ? { artifact, filePath: join(directory, id) } : undefined;
    },

    async list(): Promise<Artifact[]> {
      await ensureDirectory();
      const names = await readdir(directory);
      const records = await Promise.all(
        names.filter((name) => name.endsWith(".json")).map((name) => readRecord(name.slice(0, -".json".length))),
      );
      return records.filter((record): record is Artifact => record !== undefined).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },
  };
}
