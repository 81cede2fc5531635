#!/usr/bin/env node
// `bod`: the one command line. Each subcommand lives in commands/ and registers itself here.
// Only the module of the command being run is loaded (all of them for help or an unknown
// command). `bod worker` boots Blender before anything else, this parser included: Blender's
// start-up is the long pole of a project's cold start, and every module loaded first delays it.
// (bin/bod and the runtime also set NODE_COMPILE_CACHE, so that Node reuses compiled code and
// stripped TypeScript from earlier runs, this file included.)
import type { Command } from "commander";

if (process.argv[2] === "worker") await (await import("@bod/worker/early-blender")).bootBlenderForWorkerCommand(process.argv.slice(3));
const commander = await import("commander");

type Register = (program: Command) => void;

/** Each top-level command and how to load its registration. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  worker: async () => (await import("./commands/worker.ts")).registerWorkerCommand,
  serve: async () => (await import("./commands/serve.ts")).registerServeCommand,
  gateway: async () => (await import("./commands/gateway.ts")).registerGatewayCommand,
  chat: async () => (await import("./commands/chat.ts")).registerChatCommand,
  user: async () => (await import("./commands/user.ts")).registerUserCommand,
  docs: async () => (await import("./commands/docs.ts")).registerDocsCommand,
  deploy: async () => (await import("./commands/deploy.ts")).registerDeployCommand,
  bench: async () => {
    const [
      { registerBenchCommand },
      { registerBenchRuntimeCommand },
      { registerBenchAgentCommand },
      { registerBenchStorageCommand },
      { registerBenchImagesCommand },
      { registerBenchPreviewCommand },
    ] = await Promise.all([
      import("./commands/bench.ts"),
      import("./commands/bench-runtime.ts"),
      import("./commands/bench-agent.ts"),
      import("./commands/bench-storage.ts"),
      import("./commands/bench-images.ts"),
      import("./commands/bench-preview.ts"),
    ]);
    return (program) => {
      const bench = registerBenchCommand(program);
      registerBenchRuntimeCommand(bench);
      registerBenchAgentCommand(bench);
      registerBenchStorageCommand(bench);
      registerBenchImagesCommand(bench);
      registerBenchPreviewCommand(bench);
    };
  },
};

const program = new commander.Command("bod").description(
  "blender-on-demand: an AI agent that edits and renders 3D scenes in on-demand Blender.",
);
program.showHelpAfterError();
const requested = process.argv[2];
const load = requested !== undefined ? COMMANDS[requested] : undefined;
for (const register of await Promise.all(load ? [load()] : Object.values(COMMANDS).map((loadOne) => loadOne()))) register(program);

await program.parseAsync(process.argv);
