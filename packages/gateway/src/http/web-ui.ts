// Serves the web UI: the static files of src/web, and from node_modules the 3D viewer and the SSE
// parser (eventsource-parser's ES modules, which import only each other by relative paths).
// Files are read once and kept in memory; the UI is a few small ES modules, no build step.
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";

const WEB_ROOT = fileURLToPath(new URL("../web/", import.meta.url));
const UI_FILES = ["index.html", "app.js", "api.js", "sse.js", "view.js", "styles.css", "favicon.svg"];
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

// The page talks only to its own origin, and loads artifacts from the artifact store's when the
// gateway redirects there (S3 presigned URLs: the redirect is checked against the policy too);
// model-viewer needs blob: URLs, inline styles for its shadow DOM and WebAssembly (its mesh decoders).
function contentSecurityPolicy(artifactOrigins: readonly string[]): string {
  const artifacts = artifactOrigins.map((origin) => ` ${origin}`).join("");
  return [
    "default-src 'self'",
    `img-src 'self' blob: data:${artifacts}`,
    `connect-src 'self' blob: data:${artifacts}`,
    "style-src 'self' 'unsafe-inline'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
  ].join("; ");
}

export interface WebUiOptions {
  /**
   * Origins (scheme, host, port) the page may load artifacts from besides its own: where the
   * artifact store's download URLs point, e.g. `https://bucket.s3.eu-west-1.amazonaws.com`.
   */
  artifactOrigins?: readonly string[];
}

function modelViewerPath(): string {
  const require = createRequire(import.meta.url);
  return join(require.resolve("@google/model-viewer/package.json"), "..", "dist", "model-viewer.min.js");
}

/** eventsource-parser's browser modules and their source maps: the .js and .js.map files of its dist folder. */
function eventSourceParserFiles(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const dist = join(require.resolve("eventsource-parser/package.json"), "..", "dist");
  const files = readdirSync(dist).filter((name) => name.endsWith(".js") || name.endsWith(".js.map"));
  return new Map(files.map((name) => [name, join(dist, name)]));
}

export function createWebUi(options: WebUiOptions = {}): Hono {
  const origins = (options.artifactOrigins ?? []).map((origin) => {
    const parsed = new URL(origin);
    if ((parsed.protocol !== "https:" && parsed.protocol !== "http:") || parsed.origin !== origin.replace(/\/$/, ""))
      throw new Error(`"${origin}" is not an origin: give scheme, host and port only, e.g. https://bucket.s3.amazonaws.com.`);
    return parsed.origin;
  });
  const CSP = contentSecurityPolicy(origins);
  const app = new Hono();
  const cache = new Map<string, Promise<Uint8Array>>();
  const load = (path: string) => {
    let found = cache.get(path);
    if (!found) {
      found = readFile(path);
      cache.set(path, found);
    }
    return found;
  };
  const serve = (path: string, type: string, cacheControl: string) => async () =>
    new Response(new Uint8Array(await load(path)), {
      headers: { "content-type": type, "cache-control": cacheControl, "content-security-policy": CSP, "x-content-type-options": "nosniff" },
    });

  app.get("/", serve(join(WEB_ROOT, "index.html"), TYPES[".html"]!, "no-cache"));
  for (const file of UI_FILES) app.get(`/${file}`, serve(join(WEB_ROOT, file), TYPES[extname(file)]!, "no-cache"));
  app.get("/vendor/model-viewer.min.js", serve(modelViewerPath(), TYPES[".js"]!, "public, max-age=86400"));
  for (const [name, path] of eventSourceParserFiles()) {
    app.get(`/vendor/eventsource-parser/${name}`, serve(path, TYPES[extname(name)]!, "public, max-age=86400"));
  }
  return app;
}
