// `bod user add NAME`: creates a gateway user and prints its API token on the last line (the only
// time it is shown; only its hash is stored). `bod user token NAME` issues another token. Both
// work on the state `bod serve` uses: SQLite in the data dir, or the PostgreSQL that
// `--state-url` (or BOD_STATE_URL) names, shared by every gateway replica.
import { resolve } from "node:path";
import type { State } from "@bod/state";
import type { Command } from "commander";
import { z } from "zod";
import { parseStorageUrls } from "../storage-flags.ts";

const UserFlagsSchema = z.object({ dataDir: z.string().min(1).default(".data"), stateUrl: z.string().optional() });
const NameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/,
    "use 1 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit",
  );

interface UserCommandInput {
  name: string;
  dataDir: string;
  /** A validated postgres:// URL, or undefined for SQLite in the data dir. */
  stateUrl: string | undefined;
}

function parse(command: string, name: string, rawFlags: unknown): UserCommandInput {
  const parsedName = NameSchema.safeParse(name);
  const flags = UserFlagsSchema.safeParse(rawFlags);
  if (!parsedName.success || !flags.success) {
    console.error(
      `bod user ${command}: ${parsedName.success ? z.prettifyError(flags.error!) : `NAME: ${parsedName.error.issues[0]?.message}`}`,
    );
    process.exit(2);
  }
  const storage = parseStorageUrls({ stateUrl: flags.data.stateUrl }, process.env);
  if (!storage.ok) {
    console.error(`bod user ${command}: ${storage.message}`);
    process.exit(2);
  }
  return { name: parsedName.data, dataDir: flags.data.dataDir, stateUrl: storage.urls.stateUrl };
}

/** Opens the state, runs `work` on it and closes it; a state that cannot be reached is one clear line and exit code 1. */
async function withState(command: string, input: UserCommandInput, work: (state: State) => Promise<void>) {
  const { createState, StateUnavailableError } = await import("@bod/state");
  let state: State;
  try {
    state = await createState({ url: input.stateUrl, dataDir: resolve(input.dataDir) });
  } catch (error) {
    console.error(`bod user ${command}: ${error instanceof StateUnavailableError ? error.message : String(error)}`);
    process.exitCode = 1;
    return;
  }
  try {
    await work(state);
  } catch (error) {
    console.error(`bod user ${command}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    await state.close();
  }
}

const STATE_URL_HELP =
  "the PostgreSQL state `bod serve --state-url` uses: postgres://USER@HOST:PORT/DB, password in PGPASSWORD (default: SQLite in the data dir; also BOD_STATE_URL)";

export function registerUserCommand(program: Command): void {
  const user = program.command("user").description("Gateway users and their API tokens");
  user
    .command("add <name>")
    .description("Create a user; prints its API token on the last line")
    .option("--data-dir <dir>", "the data dir `bod serve` uses", ".data")
    .option("--state-url <url>", STATE_URL_HELP)
    .action(async (rawName: string, rawFlags) => {
      const input = parse("add", rawName, rawFlags);
      const { UserExistsError } = await import("@bod/state");
      await withState("add", input, async (state) => {
        try {
          const created = await state.createUser(input.name);
          console.log(`Created user ${input.name} (${created.user.id}). Its API token, shown only now:`);
          console.log(created.token);
        } catch (error) {
          if (!(error instanceof UserExistsError)) throw error;
          console.error(`bod user add: ${error.message} Use \`bod user token ${input.name}\` for a new token.`);
          process.exitCode = 1;
        }
      });
    });
  user
    .command("token <name>")
    .description("Issue another API token for an existing user; prints it on the last line")
    .option("--data-dir <dir>", "the data dir `bod serve` uses", ".data")
    .option("--state-url <url>", STATE_URL_HELP)
    .action(async (rawName: string, rawFlags) => {
      const input = parse("token", rawName, rawFlags);
      await withState("token", input, async (state) => {
        const found = await state.findUserByName(input.name);
        if (!found) {
          console.error(`bod user token: there is no user named "${input.name}"; create one with \`bod user add ${input.name}\`.`);
          process.exitCode = 1;
          return;
        }
        console.log(`New API token for ${input.name}, shown only now:`);
        console.log(await state.issueToken(found.id));
      });
    });
}
