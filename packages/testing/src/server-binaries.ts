// Where the test servers' programs are: PostgreSQL from Debian's postgresql package, the S3 server
// (versitygw) from the cache folder that `scripts/setup.sh --for-tests` builds it into.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const SETUP_HINT = "Run `scripts/setup.sh --for-tests` to install the servers the e2e tests use.";

/** The versitygw release the tests run against; setup.sh builds the same one. */
export const VERSITYGW_VERSION = "v1.8.0";

/** PostgreSQL's server programs folder, the newest under /usr/lib/postgresql/<version>/bin; env BOD_POSTGRES_BIN overrides. */
export function postgresBinDirectory(): string {
  const override = process.env.BOD_POSTGRES_BIN;
  if (override) {
    if (!existsSync(join(override, "postgres"))) throw new Error(`BOD_POSTGRES_BIN=${override} holds no "postgres" program. ${SETUP_HINT}`);
    return override;
  }
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+(\.\d+)?$/.test(name) && existsSync(join(root, name, "bin", "postgres")))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  const newest = versions[0];
  if (!newest) throw new Error(`PostgreSQL is not installed (no ${root}/<version>/bin/postgres). ${SETUP_HINT}`);
  return join(root, newest, "bin");
}

/** The folder setup.sh builds versitygw into: `${XDG_CACHE_HOME:-~/.cache}/blender-on-demand/versitygw-<version>`. */
export function versitygwCacheDirectory(): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "blender-on-demand", `versitygw-${VERSITYGW_VERSION}`);
}

/** The versitygw program: env BOD_VERSITYGW, else the one setup.sh built. */
export function versitygwPath(): string {
  const override = process.env.BOD_VERSITYGW;
  if (override) {
    if (!existsSync(override)) throw new Error(`BOD_VERSITYGW=${override} does not exist. ${SETUP_HINT}`);
    return override;
  }
  const path = join(versitygwCacheDirectory(), "versitygw");
  if (!existsSync(path)) throw new Error(`The S3 server versitygw ${VERSITYGW_VERSION} is not built (no ${path}). ${SETUP_HINT}`);
  return path;
}

/** The user and group ids of a system account, from /etc/passwd; undefined when there is none. */
export function systemAccount(name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const fields = line.split(":");
    if (fields[0] === name && fields[2] && fields[3]) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  return undefined;
}
