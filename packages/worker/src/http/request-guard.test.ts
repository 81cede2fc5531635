// DNS-rebinding protection on the request's headers: loopback hosts pass with or without a port;
// another host, a foreign Origin or no Host at all is refused with a 403 problem naming what is allowed.
import { describe, expect, it } from "vitest";
import { ForbiddenHostError } from "../errors/forbidden-host-error.ts";
import { problemFor } from "./problem.ts";
import { createRequestGuard, LOOPBACK_HOSTNAMES } from "./request-guard.ts";

const guard = createRequestGuard(LOOPBACK_HOSTNAMES);

describe("request guard", () => {
  it("lets loopback hosts with or without ports through", () => {
    expect(guard({ host: "127.0.0.1:8080" })).toBeUndefined();
    expect(guard({ host: "localhost", origin: "http://localhost:3000" })).toBeUndefined();
    expect(guard({ host: "[::1]:9000" })).toBeUndefined();
  });

  it("refuses rebinding hosts, foreign origins and a missing Host, as 403 problems", () => {
    const refused = [guard({ host: "evil.example:8080" }), guard({ host: "127.0.0.1", origin: "https://evil.example" }), guard({})];
    expect(refused.map((error) => error?.data.header)).toEqual(["host", "origin", "host"]);
    for (const error of refused) {
      expect(error).toBeInstanceOf(ForbiddenHostError);
      const problem = problemFor(error);
      expect(problem.status).toBe(403);
      expect(problem.body).toMatchObject({ code: "forbidden_host", allowedHostnames: [...LOOPBACK_HOSTNAMES] });
      expect(problem.body.detail).toContain("127.0.0.1, localhost, [::1]");
    }
    expect(refused[0]?.message).toContain("evil.example");
  });
});
