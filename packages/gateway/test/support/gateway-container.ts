// Starts the gateway image (`localhost/blender-on-demand/gateway:dev`, scripts/build-images.sh) with
// podman the way this machine runs containers (LOCAL_PODMAN_RUN_FLAGS: the host's network, so its
// loopback servers are reachable), and reads its URL and sign-in token from what `bod gateway`
// prints. Files the gateway reads (a kubeconfig) are mounted read-only; variables holding
// credentials are passed by name, never on the command line.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { GATEWAY_IMAGE, LOCAL_PODMAN_RUN_FLAGS, podmanResult } from "@bod/testing";
import { webLine } from "./serve-process.ts";
import { stopChild } from "./stop-child.ts";

/** A running gateway container and what it printed once it was up. */
export interface GatewayContainer {
  url: string;
  signInToken: string;
  /** The container's name. */
  name: string;
  /** Everything it wrote to stderr so far (its JSON log). */
  log(): string;
  /** SIGTERM through podman (the gateway shuts down), then removes the container. */
  stop(): Promise<void>;
}

export interface GatewayContainerOptions {
  /** Arguments after `gateway` (the image's entrypoint is `bod`). */
  args: readonly string[];
  /** Variables set in the container. */
  env?: Record<string, string>;
  /** Host variables passed through by name (credentials). */
  passEnv?: readonly string[];
  /** Host files mounted read-only, by the path they have inside the container. */
  files?: Record<string, string>;
  /** Default 90 s: the first start of a fresh image compiles nothing, but the machine may be loaded. */
  readyTimeoutMs?: number;
}

/**
 * Runs `podman run --rm GATEWAY_IMAGE gateway --host 127.0.0.1 --port 0 --data-dir
 * /var/lib/blender-on-demand ARGS...` in the
 * foreground (podman passes SIGTERM on to the container) and waits for the web line.
 */
export async function startGatewayContainer(options: GatewayContainerOptions): Promise<GatewayContainer> {
  const name = `bod-gateway-test-${randomBytes(4).toString("hex")}`;
  // The container runs as uid 10001: a copy of each file, readable by it, in a folder only root can
  // enter on the host (a bind-mounted file is reached through the mount, not the folder).
  const folder = await mkdtemp(join(tmpdir(), "bod-gateway-container-"));
  const mounts: string[] = [];
  for (const [inside, host] of Object.entries(options.files ?? {})) {
    const copy = join(folder, `${mounts.length}-${basename(host)}`);
    await copyFile(host, copy);
    await chmod(copy, 0o644);
    mounts.push("--volume", `${copy}:${inside}:ro`);
  }
  const args = [
    "run",
    "--rm",
    "--name",
    name,
    ...LOCAL_PODMAN_RUN_FLAGS,
    ...mounts,
    ...Object.entries({ BOD_LOG_LEVEL: "warn", ...options.env }).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    ...(options.passEnv ?? []).filter((key) => process.env[key] !== undefined).flatMap((key) => ["--env", key]),
    GATEWAY_IMAGE,
    "gateway",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    // The image's data dir, owned by its user (owner token; the state is in PostgreSQL here).
    "--data-dir",
    "/var/lib/blender-on-demand",
    ...options.args,
  ];
  const child: ChildProcess = spawn("podman", args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-262_144);
  });
  const remove = async () => {
    await podmanResult(["rm", "--force", "--time", "0", name]);
    await rm(folder, { recursive: true, force: true });
  };
  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  let printed: { url: string; signInToken: string };
  try {
    printed = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the gateway container did not start in ${timeoutMs / 1000} s`)), timeoutMs);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`podman could not be started: ${error.message}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`podman run ${GATEWAY_IMAGE} exited with ${code}`));
      });
      child.stdout!.on("data", (chunk) => {
        stdout += chunk;
        const found = webLine(stdout);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
  } catch (error) {
    child.kill("SIGKILL");
    await remove();
    throw new Error(`${(error as Error).message}:\n${stdout}\n${stderr.slice(-8000)}`);
  }
  return {
    ...printed,
    name,
    log: () => stderr,
    async stop() {
      await stopChild(child, 30_000);
      await remove();
    },
  };
}
