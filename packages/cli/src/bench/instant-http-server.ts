// A node:http server that answers every request at once with a fixed JSON body of the size given
// in argv[2]: the floor under any Node HTTP service, for `bod bench worker` to measure its bare
// caller against. Run as a child process (so the caller wakes another process, as with a worker);
// it reports its port over IPC and ends with its parent.
import { createServer } from "node:http";

const bytes = Number(process.argv[2] ?? 1024);
const body = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "x".repeat(Math.max(0, bytes - 80)) }] } });
const server = createServer((request, response) => {
  request.resume();
  request.once("end", () => {
    response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.send?.({ port: typeof address === "object" && address ? address.port : 0 });
});
process.on("disconnect", () => process.exit(0));
