import { describe, expect, it } from "vitest";
import { checkHostAndOrigin, LOOPBACK_HOSTNAMES } from "./request-guard.ts";

describe("checkHostAndOrigin", () => {
  it("lets loopback hosts with or without ports through", () => {
    expect(checkHostAndOrigin(LOOPBACK_HOSTNAMES, { host: "127.0.0.1:8080" })).toBeUndefined();
    expect(checkHostAndOrigin(LOOPBACK_HOSTNAMES, { host: "localhost", origin: "http://localhost:3000" })).toBeUndefined();
    expect(checkHostAndOrigin(LOOPBACK_HOSTNAMES, { host: "[::1]:9000" })).toBeUndefined();
  });

  it("refuses rebinding hosts and foreign origins", () => {
    expect(checkHostAndOrigin(LOOPBACK_HOSTNAMES, { host: "evil.example:8080" })).toMatch(/not allowed/);
    expect(checkHostAndOrigin(LOOPBACK_HOSTNAMES, { host: "127.0.0.1", origin: "https://evil.example" })).toMatch(/Origin/);
    expect(checkHostAndOrigin(LOOPBACK_HOSTNAMES, {})).toMatch(/Missing/);
  });
});
