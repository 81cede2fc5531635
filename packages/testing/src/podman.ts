// Running the product's container images with podman on this kind of machine, for the image
// tests, the Knative e2e and `bod bench images`: building them (scripts/build-images.sh), starting a container
// with the flags this VM needs, waiting for /healthz, stopping it with SIGTERM and timing it.
// Only the podman command line is used (no API socket), as an operator would.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { LOCAL_PODMAN_RUN_FLAGS } from "./podman-run-flags.ts";

const ROOT = resolve(import.meta.dirname, "../../..");

/** The images scripts/build-images.sh builds. */
export const WORKER_IMAGE = "localhost/blender-on-demand/worker:dev";
export const GATEWAY_IMAGE = "localhost/blender-on-demand/gateway:dev";

/** The result of one podman command. */
export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `podman ARGS`; resolves with its output whatever the exit code. */
export function podmanResult(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<PodmanResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("podman", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = options.timeoutMs
      ? setTimeout(() => {
          child.kill("SIGKILL");
        }, options.timeoutMs)
      : undefined;
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`podman could not be started (${error.message}): run scripts/setup.sh --for-tests`));
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Runs `podman ARGS`; resolves with its standard output, rejects with its error output. */
export async function podman(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
  const result = await podmanResult(args, options);
  if (result.code !== 0)
    throw new Error(`podman ${args.join(" ")} exited with ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}

/**
 * Builds (or reuses) both images with scripts/build-images.sh. Resolves with how long it took
 * and the script's output; rejects with that output when it fails.
 */
export function buildImages(options: { only?: "worker" | "gateway"; onOutput?: (line: string) => void } = {}): Promise<{
  seconds: number;
  output: string;
}> {
  const startedAt = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(ROOT, "scripts/build-images.sh"), options.only ? ["--only", options.only] : [], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const take = (chunk: string) => {
      output += chunk;
      for (const line of chunk.split("\n")) if (line.trim()) options.onOutput?.(line);
    };
    child.stdout.setEncoding("utf8").on("data", take);
    child.stderr.setEncoding("utf8").on("data", take);
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolvePromise({ seconds: (performance.now() - startedAt) / 1000, output });
      else reject(new Error(`scripts/build-images.sh exited with ${code}:\n${output.slice(-4000)}`));
    });
  });
}

/** An image's size in bytes, as `podman images` reports it (uncompressed layers). */
export async function imageSize(image: string): Promise<number> {
  return Number((await podman(["image", "inspect", "--format", "{{.Size}}", image])).trim());
}

/** An image's configuration: user, entrypoint, command, ports, stop signal, healthcheck. */
export interface ImageConfig {
  User?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  ExposedPorts?: Record<string, unknown>;
  StopSignal?: string;
  Healthcheck?: { Test?: string[] };
  Env?: string[];
  WorkingDir?: string;
}

export async function imageConfig(image: string): Promise<ImageConfig> {
  // podman keeps a docker-format image's HEALTHCHECK beside its config, not in it.
  const [inspected] = JSON.parse(await podman(["image", "inspect", image])) as Array<{
    Config: ImageConfig;
    Healthcheck?: ImageConfig["Healthcheck"];
  }>;
  if (!inspected) throw new Error(`podman image inspect ${image} returned nothing`);
  return { ...inspected.Config, ...(inspected.Healthcheck ? { Healthcheck: inspected.Healthcheck } : {}) };
}

/**
 * `podman run --rm` in the foreground with this machine's flags: `args` after the image, an
 * optional entrypoint and variables. Resolves with the exit code and output.
 */
export function runOnce(
  image: string,
  args: readonly string[],
  options: { entrypoint?: string; env?: Record<string, string>; user?: string } = {},
): Promise<PodmanResult> {
  return podmanResult([
    "run",
    "--rm",
    ...LOCAL_PODMAN_RUN_FLAGS,
    ...Object.entries(options.env ?? {}).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    ...(options.entrypoint ? ["--entrypoint", options.entrypoint] : []),
    ...(options.user ? ["--user", options.user] : []),
    image,
    ...args,
  ]);
}

/** Options of one container. */
export interface ContainerOptions {
  image: string;
  /** The command (the image's entrypoint's arguments); default the image's CMD. */
  args?: readonly string[];
  /** Replaces the image's entrypoint (e.g. `blender`). */
  entrypoint?: string;
  /** Variables set in the container. */
  env?: Record<string, string>;
  /** Host variables passed through by name where set (credentials: never on the command line). */
  passEnv?: readonly string[];
  /** A name prefix; a random suffix keeps names unique. Default "bod". */
  namePrefix?: string;
}

/** A running (or finished) container. */
export interface Container {
  name: string;
  /** `podman stop --time SECONDS`: SIGTERM, then SIGKILL after that long; resolves with how long it took and the exit code. */
  stop(timeoutSeconds?: number): Promise<{ ms: number; exitCode: number }>;
  /** The container's output so far (stdout and stderr). */
  logs(): Promise<string>;
  /** The user and command line of every process in it, from the host's view. */
  processes(): Promise<Array<{ user: string; command: string }>>;
  /** Runs a command inside it (`podman exec`). */
  exec(command: readonly string[]): Promise<PodmanResult>;
  /** Removes it, running or not. */
  remove(): Promise<void>;
}

/** Starts a container in the background with this machine's run flags; resolves once podman has started it. */
export async function runContainer(options: ContainerOptions): Promise<Container> {
  const name = `${options.namePrefix ?? "bod"}-${randomBytes(4).toString("hex")}`;
  const envArgs = [
    ...Object.entries(options.env ?? {}).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    ...(options.passEnv ?? []).filter((key) => process.env[key] !== undefined).flatMap((key) => ["--env", key]),
  ];
  await podman([
    "run",
    "--detach",
    "--name",
    name,
    ...LOCAL_PODMAN_RUN_FLAGS,
    ...envArgs,
    ...(options.entrypoint ? ["--entrypoint", options.entrypoint] : []),
    options.image,
    ...(options.args ?? []),
  ]);
  return containerHandle(name);
}

function containerHandle(name: string): Container {
  return {
    name,
    async stop(timeoutSeconds = 30) {
      const startedAt = performance.now();
      await podman(["stop", "--time", String(timeoutSeconds), name], { timeoutMs: (timeoutSeconds + 30) * 1000 });
      const ms = performance.now() - startedAt;
      const exitCode = Number((await podman(["inspect", "--format", "{{.State.ExitCode}}", name])).trim());
      return { ms, exitCode };
    },
    async logs() {
      const result = await podmanResult(["logs", name]);
      return result.stdout + result.stderr;
    },
    async processes() {
      const output = await podman(["top", name, "user", "args"]);
      return output
        .trim()
        .split("\n")
        .slice(1)
        .map((line) => {
          const [user = "", ...command] = line.trim().split(/\s+/);
          return { user, command: command.join(" ") };
        });
    },
    exec(command) {
      return podmanResult(["exec", name, ...command]);
    },
    async remove() {
      await podmanResult(["rm", "--force", "--time", "0", name]);
    },
  };
}

/**
 * Polls `url` until it answers 2xx; resolves with the milliseconds since `since` (a
 * performance.now() reading). Rejects after `timeoutMs` (default 60 s), or once the container
 * has exited, with its output.
 */
export async function waitForHttp(
  url: string,
  options: { since: number; timeoutMs?: number; intervalMs?: number; container?: Container },
): Promise<number> {
  const deadline = options.since + (options.timeoutMs ?? 60_000);
  // Asking podman whether the container still runs takes tens of milliseconds: twice a second,
  // so that the polls themselves stay a few milliseconds apart.
  let checkedAt = performance.now();
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.ok) return performance.now() - options.since;
    } catch {
      // Not listening yet.
    }
    if (performance.now() > deadline) {
      const logs = options.container ? await options.container.logs() : "";
      throw new Error(
        `${url} did not answer within ${options.timeoutMs ?? 60_000} ms${logs ? `; container output:\n${logs.slice(-3000)}` : ""}`,
      );
    }
    if (options.container && performance.now() - checkedAt > 500) {
      checkedAt = performance.now();
      const state = await podmanResult(["inspect", "--format", "{{.State.Running}}", options.container.name]);
      if (state.stdout.trim() === "false")
        throw new Error(`the container exited before ${url} answered:\n${(await options.container.logs()).slice(-3000)}`);
    }
    await new Promise((resolveDelay) => setTimeout(resolveDelay, options.intervalMs ?? 20));
  }
}

/** Whether this runs in CI (`CI` set, and not "false" or "0"): container tests then fail where podman cannot run them, rather than fall back or skip. */
export const IN_CI = Boolean(process.env.CI) && process.env.CI !== "false" && process.env.CI !== "0";

/**
 * Builds (or reuses) both images with scripts/build-images.sh, then checks that podman starts a
 * container of each here. Resolves with how long the build took, or with why containers cannot run
 * on this machine (podman missing, the build failing, podman unable to start a container); it never
 * rejects, so that a test decides what a missing capability means for it.
 */
export async function prepareImages(
  options: { onOutput?: (line: string) => void } = {},
): Promise<{ ok: true; buildSeconds: number } | { ok: false; reason: string }> {
  try {
    const version = await podmanResult(["--version"], { timeoutMs: 30_000 });
    if (version.code !== 0) return { ok: false, reason: `podman --version exited with ${version.code}: ${version.stderr.trim()}` };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  let buildSeconds: number;
  try {
    buildSeconds = (await buildImages(options.onOutput ? { onOutput: options.onOutput } : {})).seconds;
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  for (const image of [WORKER_IMAGE, GATEWAY_IMAGE]) {
    const run = await runOnce(image, [], { entrypoint: "true" });
    if (run.code !== 0)
      return {
        ok: false,
        reason: `podman cannot start a container of ${image} here (exit ${run.code}): ${run.stderr.trim().slice(-2000)}`,
      };
  }
  return { ok: true, buildSeconds };
}
