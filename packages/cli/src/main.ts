#!/usr/bin/env node
// `bod`: the one command line. Each subcommand lives in commands/ and registers itself here.
// Command modules import only commander and types at the top and load the rest inside their
// action: `bod worker` spawns Blender first thing, and every module loaded before that delays it.
import { Command } from "commander";
import { registerBenchCommand } from "./commands/bench.ts";
import { registerBenchAgentCommand } from "./commands/bench-agent.ts";
import { registerBenchRuntimeCommand } from "./commands/bench-runtime.ts";
import { registerChatCommand } from "./commands/chat.ts";
import { registerDocsCommand } from "./commands/docs.ts";
import { registerServeCommand } from "./commands/serve.ts";
import { registerUserCommand } from "./commands/user.ts";
import { registerWorkerCommand } from "./commands/worker.ts";

const program = new Command("bod").description("blender-on-demand: an AI agent that edits and renders 3D scenes in on-demand Blender.");
program.showHelpAfterError();
registerWorkerCommand(program);
registerDocsCommand(program);
registerServeCommand(program);
registerChatCommand(program);
registerUserCommand(program);
const bench = registerBenchCommand(program);
registerBenchRuntimeCommand(bench);
registerBenchAgentCommand(bench);

await program.parseAsync(process.argv);
