// `bod user add NAME`: creates a gateway user and prints its API token on the last line (the only
// time it is shown; only its hash is stored). `bod user token NAME` issues another token.
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";

const UserFlagsSchema = z.object({ dataDir: z.string().min(1).default(".data") });
const NameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/,
    "use 1 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit",
  );

async function openStore(dataDir: string) {
  const { createSqliteGatewayStore } = await import("@bod/gateway");
  return createSqliteGatewayStore({ path: join(resolve(dataDir), "bod.sqlite") });
}

function parse(command: string, name: string, rawFlags: unknown) {
  const parsedName = NameSchema.safeParse(name);
  const flags = UserFlagsSchema.safeParse(rawFlags);
  if (!parsedName.success || !flags.success) {
    console.error(
      `bod user ${command}: ${parsedName.success ? z.prettifyError(flags.error!) : `NAME: ${parsedName.error.issues[0]?.message}`}`,
    );
    process.exit(2);
  }
  return { name: parsedName.data, dataDir: flags.data.dataDir };
}

export function registerUserCommand(program: Command): void {
  const user = program.command("user").description("Gateway users and their API tokens");
  user
    .command("add <name>")
    .description("Create a user; prints its API token on the last line")
    .option("--data-dir <dir>", "the data dir `bod serve` uses", ".data")
    .action(async (rawName: string, rawFlags) => {
      const { name, dataDir } = parse("add", rawName, rawFlags);
      const { UserExistsError } = await import("@bod/gateway");
      const store = await openStore(dataDir);
      try {
        const created = await store.createUser(name);
        console.log(`Created user ${name} (${created.user.id}). Its API token, shown only now:`);
        console.log(created.token);
      } catch (error) {
        console.error(
          `bod user add: ${error instanceof UserExistsError ? `${error.message} Use \`bod user token ${name}\` for a new token.` : String(error)}`,
        );
        process.exitCode = 1;
      } finally {
        await store.close();
      }
    });
  user
    .command("token <name>")
    .description("Issue another API token for an existing user; prints it on the last line")
    .option("--data-dir <dir>", "the data dir `bod serve` uses", ".data")
    .action(async (rawName: string, rawFlags) => {
      const { name, dataDir } = parse("token", rawName, rawFlags);
      const store = await openStore(dataDir);
      try {
        const found = await store.findUserByName(name);
        if (!found) {
          console.error(`bod user token: there is no user named "${name}"; create one with \`bod user add ${name}\`.`);
          process.exitCode = 1;
          return;
        }
        console.log(`New API token for ${name}, shown only now:`);
        console.log(await store.issueToken(found.id));
      } finally {
        await store.close();
      }
    });
}
