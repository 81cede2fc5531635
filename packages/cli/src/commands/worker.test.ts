// Unit tier: what a container's environment adds to `bod worker`'s flags (the project id and the
// pod's host names), and that a flag given on the command line wins.
import { describe, expect, it } from "vitest";
import { withEnvironmentDefaults } from "./worker.ts";

describe("bod worker's environment defaults", () => {
  it("takes the project id from BOD_PROJECT_ID when --project-id is absent", () => {
    expect(withEnvironmentDefaults({}, { BOD_PROJECT_ID: "demo-1" })).toEqual({ projectId: "demo-1" });
  });

  it("keeps --project-id over BOD_PROJECT_ID", () => {
    expect(withEnvironmentDefaults({ projectId: "from-flag" }, { BOD_PROJECT_ID: "from-env" })).toEqual({ projectId: "from-flag" });
  });

  it("ignores an empty BOD_PROJECT_ID", () => {
    expect(withEnvironmentDefaults({}, { BOD_PROJECT_ID: "" })).toEqual({});
  });

  it("adds BOD_ALLOWED_HOSTS (comma-separated, blanks dropped) to --allowed-host", () => {
    expect(
      withEnvironmentDefaults({ allowedHost: ["a.example"] }, { BOD_ALLOWED_HOSTS: " bod-p.ns.svc.cluster.local, ,bod-p.ns.svc " }),
    ).toEqual({ allowedHost: ["a.example", "bod-p.ns.svc.cluster.local", "bod-p.ns.svc"] });
  });

  it("leaves the flags alone when the environment has neither", () => {
    expect(withEnvironmentDefaults({ port: "8080" } as { port: string; projectId?: string }, {})).toEqual({ port: "8080" });
  });
});
