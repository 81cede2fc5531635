// Starts `bin/bod gateway` as its own process, the way an operator would, on a free port and a
// fresh data dir, and reads its URL and sign-in token from what it prints.
import { type BodProcess, startBodProcess, webLine } from "./serve-process.ts";

export type GatewayProcess = BodProcess<{ url: string; signInToken: string }>;

export function startGatewayProcess(args: string[], env: Record<string, string> = {}): Promise<GatewayProcess> {
  return startBodProcess({
    command: "gateway",
    args,
    env,
    dataDirPrefix: "bod-gateway-process-",
    readyTimeoutMs: 60_000,
    started: webLine,
  });
}
