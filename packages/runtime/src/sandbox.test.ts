// Unit tests of the bubblewrap command line: what is mounted, hidden and unshared (no process started).
import { describe, expect, it } from "vitest";
import { bwrapArguments } from "./sandbox.ts";

describe("bubblewrap arguments", () => {
  const args = bwrapArguments(
    { bwrapPath: "/usr/bin/bwrap", hide: ["/srv/bod", "/home"] },
    "/srv/bod/instances/ab12",
    ["node", "main.ts", "worker"],
    "/work/repo",
  );
  const pairs = (flag: string) => args.flatMap((arg, index) => (arg === flag ? [args.slice(index + 1, index + 3).join(" ")] : []));

  it("mounts the system read-only and only the instance folder writable", () => {
    expect(args.slice(0, 3)).toEqual(["--ro-bind", "/", "/"]);
    expect(pairs("--bind")).toEqual(["/srv/bod/instances/ab12 /tmp/bod"]);
  });

  it("hides the data dir and home folders, and unshares every namespace including the network", () => {
    const tmpfs = args.flatMap((arg, index) => (arg === "--tmpfs" ? [args[index + 1]] : []));
    expect(tmpfs).toEqual(["/tmp", "/srv/bod", "/home"]);
    expect(args).toContain("--unshare-all");
    expect(args).not.toContain("--share-net");
    expect(args).toContain("--die-with-parent");
    // The hidden data dir is mounted before the instance folder, so the bind stays visible.
    expect(args.indexOf("/srv/bod")).toBeLessThan(args.indexOf("/srv/bod/instances/ab12"));
  });

  it("keeps the host's network only when the worker's stores are servers", () => {
    const networked = bwrapArguments({ bwrapPath: "bwrap", hide: [], shareNetwork: true }, "/d/i/1", ["node", "main.ts"], "/w");
    // --share-net must follow --unshare-all, which it partly undoes.
    expect(networked.indexOf("--share-net")).toBeGreaterThan(networked.indexOf("--unshare-all"));
  });

  it("never hides the folder the worker's code runs from", () => {
    const fromHome = bwrapArguments({ bwrapPath: "bwrap", hide: ["/home"] }, "/d/i/1", ["node", "/home/me/bod/main.ts"], "/home/me/bod");
    expect(fromHome).not.toContain("/home");
  });

  it("keeps a checkout under /tmp visible, read-only, behind the private /tmp, with its data dir still hidden", () => {
    const fromTmp = bwrapArguments(
      { bwrapPath: "bwrap", hide: ["/tmp/checkout/.data"] },
      "/tmp/checkout/.data/instances/1",
      ["/tmp/checkout/.tools/node_modules/.bin/node", "/tmp/checkout/packages/cli/src/main.ts", "worker"],
      "/tmp/checkout",
    );
    const at = (value: string, from = 0) => fromTmp.indexOf(value, from);
    expect(fromTmp.slice(at("--ro-bind", 1), at("--ro-bind", 1) + 3)).toEqual(["--ro-bind", "/tmp/checkout", "/tmp/checkout"]);
    expect(at("/tmp")).toBeLessThan(at("/tmp/checkout"));
    expect(at("/tmp/checkout")).toBeLessThan(at("/tmp/checkout/.data"));
    expect(fromTmp.filter((arg) => arg === "--ro-bind").length).toBe(2);
  });

  it("lets the worker read a shared folder inside a hidden one (the compile cache), and not write it", () => {
    const withCache = bwrapArguments(
      { bwrapPath: "bwrap", hide: ["/srv/bod"], readOnly: ["/srv/bod/cache/node-compile"] },
      "/srv/bod/instances/1",
      ["node", "main.ts", "worker"],
      "/work/repo",
    );
    const cacheAt = withCache.indexOf("/srv/bod/cache/node-compile");
    expect(withCache.slice(cacheAt - 1, cacheAt + 2)).toEqual(["--ro-bind", "/srv/bod/cache/node-compile", "/srv/bod/cache/node-compile"]);
    // Mounted after the tmpfs that hides the data dir, or the tmpfs would cover it.
    expect(withCache.indexOf("/srv/bod")).toBeLessThan(cacheAt);
  });

  it("ends with the command", () => {
    expect(args.slice(-4)).toEqual(["--", "node", "main.ts", "worker"]);
  });
});
