// The unit project's setup file: a unit test starts no process and opens no socket, and this makes
// that a rule the run checks rather than a convention. Listening, connecting (node:net, node:http,
// fetch, undici, pg: all go through net.Socket#connect) and every way node:child_process starts a
// process throw, naming the tier the test belongs in. Worker threads and the file system stay open.
import childProcess from "node:child_process";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";

function refuse(what: string): never {
  throw new Error(
    `A unit test ${what}. Unit tests (packages/*/src/**/*.test.ts) start no processes and open no sockets: test the handler in-process (hono app.request(), an injected fetch or launcher), or name the file *.integration.test.ts (docs/testing.md).`,
  );
}

net.Server.prototype.listen = function listen(): never {
  refuse("listened on a socket");
};
net.Socket.prototype.connect = function connect(): never {
  refuse("opened a connection");
};
for (const name of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const) {
  Object.defineProperty(childProcess, name, {
    value: () => refuse(`started a process (child_process.${name})`),
    writable: true,
    configurable: true,
  });
}
// Modules that imported the functions by name see the replacements too.
syncBuiltinESMExports();
