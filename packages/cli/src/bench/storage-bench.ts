// `bod bench storage`: what the scale-out stores cost against the embedded ones, measured in one
// run on one machine. Each figure pairs the two implementations of one port:
//   - acknowledged change: add_object round trips to a real `bod worker` (real Blender) whose
//     scene journal is a file (O_DSYNC) or PostgreSQL rows (committed), calls alternating between
//     the two workers; and the journal append alone, through the SceneStore port;
//   - snapshots: storing and fetching a 1 MB and a 50 MB .blend-sized file, folder against S3;
//   - artifact downloads: a 50 MB artifact streamed by a Node server from the folder store and
//     from the S3 store (how the gateway serves one), against a presigned GET straight from S3;
//   - state: 10,000 projects in SQLite and in PostgreSQL: listing a user's projects, and memory.
// Servers come from the flags, or are started here (PostgreSQL from Debian, versitygw) when absent.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import type { State } from "@bod/state";
import { type ArtifactStore, artifactResponse, createFileSceneStore, createFilesystemArtifactStore, type SceneStore } from "@bod/storage";
import type { WorkerToRuntime } from "@bod/worker";
import { type BenchServers, prepareBenchServers } from "./bench-servers.ts";
import { proportionalMiB, residentMiB } from "./process-memory.ts";
import { createRawMcpClient, type RawMcpClient } from "./raw-mcp-client.ts";
import { median, percentile } from "./statistics.ts";

const ROOT = resolve(import.meta.dirname, "../../../..");
const CLI_ENTRY = join(ROOT, "packages/cli/src/main.ts");

export interface StorageBenchOptions {
  /** add_object calls per worker, and journal appends per store. */
  calls: number;
  /** Stores and fetches per snapshot size and side. */
  runs: number;
  /** Projects in each state store. */
  projects: number;
  blender: string;
  /** A PostgreSQL to use (a fresh database is made in it); default: one started for the run. */
  postgresUrl?: string;
  /** An S3 endpoint to use, with the AWS_* credentials; default: a versitygw started for the run. */
  s3Endpoint?: string;
}

export interface Distribution {
  p50: number;
  p99: number;
}

export interface StorageBenchResult {
  servers: { postgres: string; s3: string };
  acknowledgedChange: { file: Distribution; postgres: Distribution; blenderFileP50: number; blenderPostgresP50: number };
  journalAppend: { file: Distribution; postgres: Distribution };
  snapshots: Array<{ megabytes: number; side: "filesystem" | "s3"; storeMs: number; restoreMs: number }>;
  downloads: Array<{ path: string; megabytesPerSecond: number }>;
  state: Array<{
    store: "sqlite" | "postgresql";
    createMs: number;
    listOwnP50: number;
    listOwnP99: number;
    memoryMiB: number;
    memoryWhat: string;
  }>;
}

type Log = (line: string) => void;

function distribution(samples: readonly number[]): Distribution {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

interface RunningWorker {
  child: ChildProcess;
  client: RawMcpClient;
}

async function startWorker(dataDir: string, blender: string, extraArgs: string[]): Promise<RunningWorker> {
  const child = spawn(
    process.execPath,
    [CLI_ENTRY, "worker", "--port", "0", "--data-dir", dataDir, "--project-id", "bench", "--blender", blender, ...extraArgs],
    { stdio: ["ignore", "ignore", "ignore", "ipc"], env: { ...process.env, BOD_LOG_LEVEL: "warn" } },
  );
  const port = await new Promise<number>((resolvePromise, reject) => {
    let listening = 0;
    child.on("message", (message: WorkerToRuntime) => {
      if (message.type === "listening") listening = message.port;
      if (message.type === "ready") resolvePromise(listening);
    });
    child.once("exit", (code) => reject(new Error(`bod worker exited with ${code} before it was ready`)));
  });
  return { child, client: createRawMcpClient(new URL(`http://127.0.0.1:${port}/mcp`)) };
}

async function stopWorker(worker: RunningWorker): Promise<void> {
  await worker.client.close();
  const exited = new Promise((resolvePromise) => worker.child.once("exit", resolvePromise));
  worker.child.kill("SIGTERM");
  await exited;
}

/** add_object round trips to two workers, one per journal, in turns so that both see the same machine. */
async function measureAcknowledgedChanges(servers: BenchServers, options: StorageBenchOptions, log: Log) {
  const root = await mkdtemp(join(tmpdir(), "bod-bench-storage-"));
  const fileWorker = await startWorker(join(root, "file"), options.blender, []);
  const postgresWorker = await startWorker(join(root, "postgres"), options.blender, [
    "--state-url",
    servers.postgresUrl,
    "--artifact-url",
    servers.artifactUrl,
  ]);
  const rounds = { file: [] as number[], postgres: [] as number[], blenderFile: [] as number[], blenderPostgres: [] as number[] };
  try {
    log(`acknowledged changes: ${options.calls} add_object calls to each worker, alternating`);
    // A few calls each first, so that neither side pays for its first connection or cold code.
    for (let index = 0; index < 10; index++) {
      await fileWorker.client.callTool("add_object", { type: "cube" });
      await postgresWorker.client.callTool("add_object", { type: "cube" });
    }
    for (let index = 0; index < options.calls; index++) {
      for (const [worker, into, blenderInto] of [
        [fileWorker, rounds.file, rounds.blenderFile],
        [postgresWorker, rounds.postgres, rounds.blenderPostgres],
      ] as const) {
        const startedAt = performance.now();
        const answer = await worker.client.callTool("add_object", { type: "cube", location: [index % 40, 0, 0] });
        into.push(performance.now() - startedAt);
        if (answer.blenderMs !== undefined) blenderInto.push(answer.blenderMs);
      }
    }
  } finally {
    await stopWorker(fileWorker);
    await stopWorker(postgresWorker);
    await rm(root, { recursive: true, force: true });
  }
  return {
    file: distribution(rounds.file),
    postgres: distribution(rounds.postgres),
    blenderFileP50: median(rounds.blenderFile),
    blenderPostgresP50: median(rounds.blenderPostgres),
  };
}

/** The journal append alone, through the SceneStore port: a file with O_DSYNC against a committed INSERT. */
async function measureJournalAppends(stores: { file: SceneStore; postgres: SceneStore }, calls: number) {
  const result: Record<"file" | "postgres", Distribution> = { file: { p50: 0, p99: 0 }, postgres: { p50: 0, p99: 0 } };
  for (const side of ["file", "postgres"] as const) {
    const scene = await stores[side].open(`append-${randomBytes(3).toString("hex")}`);
    const samples: number[] = [];
    for (let seq = 1; seq <= calls + 20; seq++) {
      const startedAt = performance.now();
      await scene.appendJournal({ seq, command: "add_object", args: { type: "cube", name: `Cube.${seq}` }, at: new Date().toISOString() });
      if (seq > 20) samples.push(performance.now() - startedAt);
    }
    await scene.close();
    result[side] = distribution(samples);
  }
  return result;
}

/** Stores and restores snapshots of 1 MB and 50 MB, in the folder store and in S3. */
async function measureSnapshots(stores: { file: SceneStore; postgres: SceneStore }, runs: number, log: Log) {
  const local = await mkdtemp(join(tmpdir(), "bod-bench-snapshot-"));
  const rows: StorageBenchResult["snapshots"] = [];
  try {
    for (const megabytes of [1, 50]) {
      const source = join(local, `source-${megabytes}.blend`);
      await writeFile(source, randomBytes(megabytes * 1024 * 1024));
      for (const [side, store] of [
        ["filesystem", stores.file],
        ["s3", stores.postgres],
      ] as const) {
        log(`snapshots: ${megabytes} MB, ${side}`);
        const scene = await store.open(`snap-${megabytes}-${randomBytes(3).toString("hex")}`);
        const storeMs: number[] = [];
        const restoreMs: number[] = [];
        for (let run = 0; run < runs; run++) {
          let startedAt = performance.now();
          await scene.writeSnapshot(source);
          storeMs.push(performance.now() - startedAt);
          const target = join(local, `restored-${run}.blend`);
          startedAt = performance.now();
          await scene.readSnapshot(target);
          restoreMs.push(performance.now() - startedAt);
          if ((await stat(target)).size !== megabytes * 1024 * 1024) throw new Error("a restored snapshot has the wrong size");
          await rm(target);
        }
        await scene.close();
        rows.push({ megabytes, side, storeMs: median(storeMs), restoreMs: median(restoreMs) });
      }
    }
  } finally {
    await rm(local, { recursive: true, force: true });
  }
  return rows;
}

/** Serves artifacts the way the gateway streams one (artifactResponse over a store), on loopback. */
async function serveArtifacts(stores: Record<string, ArtifactStore>): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const [, storeName = "", projectId = "", id = ""] = (request.url ?? "").split("/");
    const store = stores[storeName];
    if (!store) return void response.writeHead(404).end();
    void artifactResponse(store, projectId, id, { range: request.headers.range }).then(
      (answer) => {
        if (!answer) return void response.writeHead(404).end();
        const headers: Record<string, string> = {};
        answer.headers.forEach((value, key) => {
          headers[key] = value;
        });
        response.writeHead(answer.status, headers);
        if (answer.body) Readable.fromWeb(answer.body as import("node:stream/web").ReadableStream).pipe(response);
        else response.end();
      },
      (error: Error) => response.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolvePromise) => server.listen(0, "127.0.0.1", resolvePromise));
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` };
}

async function downloadMegabytesPerSecond(url: string, runs: number): Promise<number> {
  const rates: number[] = [];
  for (let run = 0; run < runs; run++) {
    const startedAt = performance.now();
    const response = await fetch(url);
    if (!response.ok || !response.body) throw new Error(`GET ${url.split("?")[0]}: ${response.status}`);
    let bytes = 0;
    const reader = response.body.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) bytes += read.value.byteLength;
    rates.push(bytes / 1024 / 1024 / ((performance.now() - startedAt) / 1000));
  }
  return median(rates);
}

/** A 50 MB artifact: streamed from the folder store, streamed from S3, and fetched with a presigned URL. */
async function measureDownloads(servers: BenchServers, runs: number, log: Log) {
  const folder = await mkdtemp(join(tmpdir(), "bod-bench-artifacts-"));
  const { createS3ArtifactStore } = await import("@bod/storage/scale-out");
  const stores = {
    filesystem: createFilesystemArtifactStore({ directoryOf: (projectId) => join(folder, projectId, "artifacts") }),
    s3: createS3ArtifactStore({ location: servers.location }),
  };
  const bytes = randomBytes(50 * 1024 * 1024);
  const projectId = "downloads";
  const ids: Record<string, string> = {};
  for (const [name, store] of Object.entries(stores)) {
    const source = join(folder, `source-${name}.bin`);
    await writeFile(source, bytes);
    const stored = await store.put({
      projectId,
      kind: "export",
      extension: "glb",
      mimeType: "model/gltf-binary",
      body: createReadStream(source),
    });
    ids[name] = stored.id;
  }
  const { server, url } = await serveArtifacts(stores);
  try {
    log("downloads: 50 MB, streamed from the folder store and from S3, and presigned");
    const presigned = await stores.s3.downloadUrl(projectId, ids.s3 as string, { expiresInSeconds: 600 });
    if (!presigned) throw new Error("the S3 store gave no download URL");
    return [
      {
        path: "streamed by the gateway from the folder store",
        megabytesPerSecond: await downloadMegabytesPerSecond(`${url}/filesystem/${projectId}/${ids.filesystem}`, runs),
      },
      {
        path: "streamed by the gateway from S3",
        megabytesPerSecond: await downloadMegabytesPerSecond(`${url}/s3/${projectId}/${ids.s3}`, runs),
      },
      { path: "presigned GET straight from S3", megabytesPerSecond: await downloadMegabytesPerSecond(presigned, runs) },
    ];
  } finally {
    server.close();
    await stores.s3.deleteProject(projectId);
    await rm(folder, { recursive: true, force: true });
  }
}

/** Every process under `pid` (itself included), from /proc. */
async function processTree(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    parents.set(Number(entry), parent);
  }
  const tree = [pid];
  for (let index = 0; index < tree.length; index++) for (const [child, parent] of parents) if (parent === tree[index]) tree.push(child);
  return tree;
}

/** The database's size on disk, as PostgreSQL reports it. */
async function databaseSize(url: string): Promise<{ rows: string }> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ size: string }>("select pg_size_pretty(pg_database_size(current_database())) as size");
    return { rows: rows[0]?.size ?? "?" };
  } finally {
    await client.end();
  }
}

/** `projects` projects over 100 users in each state store; listing one user's, and what memory it takes. */
async function measureState(servers: BenchServers, projects: number, log: Log) {
  const { createState } = await import("@bod/state");
  const folder = await mkdtemp(join(tmpdir(), "bod-bench-state-"));
  const rows: StorageBenchResult["state"] = [];
  try {
    for (const store of ["sqlite", "postgresql"] as const) {
      log(`state: ${projects} projects in ${store}`);
      const rssBefore = (await residentMiB(process.pid)) ?? 0;
      const state: State = await createState(store === "sqlite" ? { dataDir: folder } : { url: servers.postgresUrl });
      const users = await Promise.all(Array.from({ length: 100 }, (_, index) => state.createUser(`bench-${store}-${index}`)));
      const startedAt = performance.now();
      for (let index = 0; index < projects; index++) {
        await state.createProject(users[index % users.length]!.user.id, `Project ${index}`);
      }
      const createMs = (performance.now() - startedAt) / projects;
      const owner = users[0]!.user.id;
      const samples: number[] = [];
      for (let index = 0; index < 220; index++) {
        const listStartedAt = performance.now();
        await state.listProjects(owner);
        if (index >= 20) samples.push(performance.now() - listStartedAt);
      }
      let memoryMiB = 0;
      let memoryWhat = "";
      if (store === "sqlite") {
        memoryMiB = ((await residentMiB(process.pid)) ?? 0) - rssBefore;
        const fileMiB = (await stat(join(folder, "bod.sqlite"))).size / 1024 / 1024;
        memoryWhat = `growth of this process's RSS; file ${fileMiB.toFixed(1)} MiB`;
      } else if (servers.postgresPid) {
        for (const pid of await processTree(servers.postgresPid)) memoryMiB += (await proportionalMiB(pid)) ?? 0;
        const { rows } = await databaseSize(servers.postgresUrl);
        memoryWhat = `PSS of the server's processes; database ${rows}`;
      } else {
        memoryWhat = "server not started here: not measured";
      }
      await state.close();
      rows.push({ store, createMs, listOwnP50: percentile(samples, 50), listOwnP99: percentile(samples, 99), memoryMiB, memoryWhat });
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  return rows;
}

export async function runStorageBench(options: StorageBenchOptions, log: Log): Promise<StorageBenchResult> {
  const servers = await prepareBenchServers(options, log);
  const { createPostgresS3SceneStore } = await import("@bod/storage/scale-out");
  const folder = await mkdtemp(join(tmpdir(), "bod-bench-scenes-"));
  await mkdir(folder, { recursive: true });
  const sceneStores = {
    file: createFileSceneStore({ root: folder }),
    postgres: createPostgresS3SceneStore({ postgresUrl: servers.postgresUrl, s3: servers.location }),
  };
  try {
    const acknowledgedChange = await measureAcknowledgedChanges(servers, options, log);
    log(`journal appends: ${options.calls} per store`);
    const journalAppend = await measureJournalAppends(sceneStores, options.calls);
    const snapshots = await measureSnapshots(sceneStores, options.runs, log);
    const downloads = await measureDownloads(servers, options.runs, log);
    const state = await measureState(servers, options.projects, log);
    return {
      servers: {
        postgres: options.postgresUrl ? "given" : "PostgreSQL from Debian, started for the run",
        s3: options.s3Endpoint ? "given" : "versitygw, started for the run",
      },
      acknowledgedChange,
      journalAppend,
      snapshots,
      downloads,
      state,
    };
  } finally {
    await sceneStores.file.close();
    await sceneStores.postgres.close();
    await rm(folder, { recursive: true, force: true });
    await servers.stop();
  }
}

function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** The figures as tables, each with a one-line summary against its aim. */
export function formatStorageBench(result: StorageBenchResult, options: StorageBenchOptions): string {
  const { acknowledgedChange: ack, journalAppend: append } = result;
  const gap = ack.postgres.p50 - ack.file.p50;
  const lines = [
    `servers: ${result.servers.postgres}; ${result.servers.s3}`,
    "",
    `acknowledged change (add_object to a real bod worker, ${options.calls} calls each, alternating), ms`,
    `  journal      p50     p99     Blender's own p50`,
    `  file         ${fixed(ack.file.p50).padEnd(7)} ${fixed(ack.file.p99).padEnd(7)} ${fixed(ack.blenderFileP50)}`,
    `  PostgreSQL   ${fixed(ack.postgres.p50).padEnd(7)} ${fixed(ack.postgres.p99).padEnd(7)} ${fixed(ack.blenderPostgresP50)}`,
    `  → PostgreSQL journal ${gap >= 0 ? "+" : ""}${fixed(gap)} ms p50 over the file journal; aim within 1 ms: ${gap <= 1 ? "met" : "not met"}`,
    `journal append alone (SceneStore port), ms: file p50 ${fixed(append.file.p50)} p99 ${fixed(append.file.p99)}; PostgreSQL p50 ${fixed(append.postgres.p50)} p99 ${fixed(append.postgres.p99)}`,
    "",
    `snapshots (median of ${options.runs}), ms`,
    "  size    store        store   restore",
    ...result.snapshots.map(
      (row) => `  ${`${row.megabytes} MB`.padEnd(7)} ${row.side.padEnd(12)} ${fixed(row.storeMs, 1).padEnd(7)} ${fixed(row.restoreMs, 1)}`,
    ),
    ...[1, 50].map((megabytes) => {
      const [files, s3] = ["filesystem", "s3"].map((side) =>
        result.snapshots.find((row) => row.megabytes === megabytes && row.side === side),
      );
      return `  → ${megabytes} MB: S3 stores in ${fixed((s3?.storeMs ?? Number.NaN) / (files?.storeMs ?? Number.NaN), 1)}× and restores in ${fixed((s3?.restoreMs ?? Number.NaN) / (files?.restoreMs ?? Number.NaN), 1)}× the folder's time`;
    }),
    "",
    `artifact download, 50 MB (median of ${options.runs}), MB/s`,
    ...result.downloads.map((row) => `  ${row.path.padEnd(48)} ${fixed(row.megabytesPerSecond, 0)}`),
    "",
    `state, ${options.projects} projects over 100 users (listing one user's ${options.projects / 100}, 200 times)`,
    "  store        insert/project  list p50  list p99  memory",
    ...result.state.map(
      (row) =>
        `  ${row.store.padEnd(12)} ${`${fixed(row.createMs)} ms`.padEnd(15)} ${`${fixed(row.listOwnP50)} ms`.padEnd(9)} ${`${fixed(row.listOwnP99)} ms`.padEnd(9)} ${fixed(row.memoryMiB, 0)} MiB (${row.memoryWhat})`,
    ),
  ];
  return lines.join("\n");
}
