// A second process that takes a project's turn lock on the PostgreSQL state and keeps it until
// it is killed: the replica that dies mid-turn in postgres-state.test.ts.
//   node hold-turn.ts <postgres url> <project id>
// Prints "held" on stdout once it holds the lock.
import { createPostgresState } from "../../src/postgres-state.ts";

const [url, projectId] = process.argv.slice(2);
if (!url || !projectId) {
  console.error("usage: hold-turn.ts <postgres url> <project id>");
  process.exit(2);
}
const state = await createPostgresState({ url, tag: "hold-turn" });
const lease = await state.tryAcquireTurn(projectId, { holder: `hold-turn pid ${process.pid}` });
if (!lease) {
  console.error(`the turn of ${projectId} is held elsewhere`);
  process.exit(1);
}
console.log("held");
setInterval(() => {}, 60_000);
