// A Kubernetes API server on loopback for the custom-object routes a client such as
// @kubernetes/client-node uses: GET, LIST (label and field selectors), WATCH (JSON lines from a
// resourceVersion, 410 Expired after compaction), POST, PUT, PATCH (server-side apply with field
// managers and conflicts, JSON merge patch), the status subresource and DELETE (preconditions,
// finalizers), over HTTPS with its own CA and a bearer token, answering errors with Kubernetes
// Status objects. Running a real kube-apiserver needs etcd and a large build; this stands in for
// the routes above only. What it does not do is listed in docs/testing.md ("The Kubernetes API
// server"): admission webhooks and schema validation, strategic merge patch and JSON patch,
// list-map merge keys in server-side apply (lists are atomic), pagination, bookmarks, RBAC.
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/** A namespaced resource type the server serves, e.g. Knative's services. */
export interface KubeResourceType {
  group: string;
  version: string;
  /** Lowercase plural in the URL, e.g. "services". */
  plural: string;
  kind: string;
  /** Whether PUT/PATCH on `<name>/status` is the only way to change `status` (the CRD's status subresource). Default true. */
  statusSubresource?: boolean;
}

/** A stored object, as JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    managedFields?: unknown[];
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

export type KubeWatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface KubeApiServerOptions {
  resources: KubeResourceType[];
  /** Namespaces that exist; requests to others get 404 like a real server. Default ["default"]. */
  namespaces?: string[];
}

/** One request the server answered, for tests that check what a client sent. */
export interface KubeRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  status: number;
}

export interface KubeApiServer {
  /** `https://127.0.0.1:PORT`. */
  readonly url: string;
  /** The bearer token every request must carry. */
  readonly token: string;
  /** The PEM certificate of the server's own CA (the server's certificate itself). */
  readonly caPem: string;
  /** A kubeconfig (JSON, which is YAML) for this server with `namespace` as the context's namespace. */
  kubeconfig(namespace?: string): string;
  /** Writes the kubeconfig to a file in the server's folder and returns its path (for KUBECONFIG). */
  writeKubeconfig(namespace?: string): Promise<string>;
  /** Every request answered so far. */
  requests(): KubeRequestRecord[];
  /** What a controller with full rights sees and does, without HTTP. */
  get(plural: string, namespace: string, name: string): KubeObject | undefined;
  list(plural: string, namespace: string): KubeObject[];
  /** Creates an object (a controller's own child objects); throws when it exists. */
  create(plural: string, object: KubeObject): KubeObject;
  /** Replaces the object's status (the status subresource); bumps resourceVersion and emits MODIFIED. */
  writeStatus(plural: string, namespace: string, name: string, status: Record<string, unknown>): KubeObject;
  /** Changes metadata (labels, annotations, finalizers) as a controller would. */
  updateMetadata(plural: string, namespace: string, name: string, change: (metadata: KubeObject["metadata"]) => void): KubeObject;
  /** Deletes like a DELETE request without preconditions. */
  remove(plural: string, namespace: string, name: string): void;
  /** Calls `listener` for every change of `plural` in `namespace` from now on, in order. Returns the unsubscribe. */
  subscribe(plural: string, namespace: string, listener: (type: KubeWatchEventType, object: KubeObject) => void): () => void;
  /** Forgets the event history: watches that resume from an older resourceVersion get 410 Expired and must list again. */
  compact(): void;
  /** Ends every open watch (the client then resumes from its last resourceVersion). */
  endWatches(): void;
  stop(): Promise<void>;
}

interface StoredEvent {
  resourceVersion: number;
  type: KubeWatchEventType;
  key: string;
  namespace: string;
  object: KubeObject;
}

interface Watcher {
  key: string;
  namespace: string;
  matches: (object: KubeObject) => boolean;
  res: ServerResponse;
}

class StatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: number, reason: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

/** Starts the server on a free loopback port with a fresh self-signed certificate. */
export async function startKubeApiServer(options: KubeApiServerOptions): Promise<KubeApiServer> {
  const folder = await mkdtemp(join(tmpdir(), "bod-kube-api-"));
  const { key, cert } = await selfSignedCertificate(folder);
  const token = randomBytes(24).toString("base64url");
  const namespaces = new Set(options.namespaces ?? ["default"]);
  const types = new Map(options.resources.map((type) => [type.plural, type]));
  const objects = new Map<string, KubeObject>();
  /** Leaf paths each field manager owns, per object key. */
  const owners = new Map<string, Map<string, Set<string>>>();
  let events: StoredEvent[] = [];
  let compactedThrough = 0;
  let resourceVersion = 1;
  const watchers = new Set<Watcher>();
  const listeners = new Set<{ key: string; namespace: string; listener: (type: KubeWatchEventType, object: KubeObject) => void }>();
  const records: KubeRequestRecord[] = [];

  const typeOf = (plural: string): KubeResourceType => {
    const type = types.get(plural);
    if (!type) throw new StatusError(404, "NotFound", "the server could not find the requested resource");
    return type;
  };
  const keyOf = (type: KubeResourceType, namespace: string, name: string) => `${type.group}/${type.plural}/${namespace}/${name}`;
  const qualified = (type: KubeResourceType) => `${type.plural}.${type.group}`;
  const notFound = (type: KubeResourceType, name: string) =>
    new StatusError(404, "NotFound", `${qualified(type)} "${name}" not found`, { name, group: type.group, kind: type.plural });
  const assertNamespace = (namespace: string) => {
    if (!namespaces.has(namespace))
      throw new StatusError(404, "NotFound", `namespaces "${namespace}" not found`, { name: namespace, kind: "namespaces" });
  };

  function emit(type: KubeWatchEventType, kind: KubeResourceType, object: KubeObject): void {
    const event: StoredEvent = {
      resourceVersion: Number(object.metadata.resourceVersion),
      type,
      key: `${kind.group}/${kind.plural}`,
      namespace: object.metadata.namespace,
      object: structuredClone(object),
    };
    events.push(event);
    for (const watcher of watchers)
      if (watcher.key === event.key && watcher.namespace === event.namespace && watcher.matches(event.object))
        writeEvent(watcher.res, event);
    for (const entry of listeners)
      if (entry.key === event.key && entry.namespace === event.namespace) entry.listener(type, structuredClone(event.object));
  }

  function store(type: KubeResourceType, object: KubeObject, eventType: KubeWatchEventType): KubeObject {
    object.metadata.resourceVersion = String(++resourceVersion);
    objects.set(keyOf(type, object.metadata.namespace, object.metadata.name), object);
    emit(eventType, type, object);
    return structuredClone(object);
  }

  function createObject(type: KubeResourceType, namespace: string, body: KubeObject, manager?: string): KubeObject {
    assertNamespace(namespace);
    const name = body.metadata?.name;
    if (typeof name !== "string" || !/^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/.test(name))
      throw new StatusError(
        422,
        "Invalid",
        `${type.kind} "${String(name)}" is invalid: metadata.name: a lowercase RFC 1123 subdomain is required`,
      );
    const key = keyOf(type, namespace, name);
    if (objects.has(key))
      throw new StatusError(409, "AlreadyExists", `${qualified(type)} "${name}" already exists`, {
        name,
        group: type.group,
        kind: type.plural,
      });
    const object: KubeObject = {
      ...structuredClone(body),
      apiVersion: `${type.group}/${type.version}`,
      kind: type.kind,
      metadata: {
        ...structuredClone(body.metadata),
        namespace,
        uid: randomUUID(),
        generation: 1,
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      },
    };
    delete object.metadata.resourceVersion;
    delete object.metadata.deletionTimestamp;
    if (type.statusSubresource !== false) delete object.status;
    if (manager) owners.set(key, new Map([[manager, new Set(leafPaths(withoutSystemFields(body)))]]));
    refreshManagedFields(key, object);
    return store(type, object, "ADDED");
  }

  function refreshManagedFields(key: string, object: KubeObject): void {
    const managers = owners.get(key);
    if (!managers || managers.size === 0) {
      delete object.metadata.managedFields;
      return;
    }
    object.metadata.managedFields = [...managers].map(([manager, paths]) => ({
      manager,
      operation: "Apply",
      apiVersion: object.apiVersion,
      time: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      fieldsType: "FieldsV1",
      fieldsV1: fieldsV1(paths),
    }));
  }

  /** Server-side apply: the manager's fields become exactly the applied ones. */
  function apply(
    type: KubeResourceType,
    namespace: string,
    name: string,
    body: KubeObject,
    manager: string,
    force: boolean,
    subresource?: "status",
  ): KubeObject {
    assertNamespace(namespace);
    if (body.metadata?.name !== undefined && body.metadata.name !== name)
      throw new StatusError(
        400,
        "BadRequest",
        `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
      );
    if (body.apiVersion !== `${type.group}/${type.version}` || body.kind !== type.kind)
      throw new StatusError(
        400,
        "BadRequest",
        `apiVersion and kind of the applied object must be ${type.group}/${type.version} ${type.kind}`,
      );
    const key = keyOf(type, namespace, name);
    const existing = objects.get(key);
    let config = withoutSystemFields(body);
    if (subresource === "status") {
      if (!existing) throw notFound(type, name);
      config = { status: config.status };
    } else if (type.statusSubresource !== false) delete config.status;
    if (!existing) {
      if (subresource) throw notFound(type, name);
      return createObject(
        type,
        namespace,
        { ...config, metadata: { ...(config.metadata as object), name, namespace } } as KubeObject,
        manager,
      );
    }
    const applied = new Set(leafPaths(config));
    const managers = owners.get(key) ?? new Map<string, Set<string>>();
    const conflicts: string[] = [];
    for (const [other, paths] of managers) {
      if (other === manager) continue;
      for (const path of applied)
        if (paths.has(path) && JSON.stringify(valueAt(existing, path)) !== JSON.stringify(valueAt(config, path)))
          conflicts.push(`${other}: ${path}`);
    }
    if (conflicts.length > 0 && !force)
      throw new StatusError(409, "Conflict", `Apply failed with ${conflicts.length} conflict(s): conflicts with ${conflicts.join(", ")}`, {
        causes: conflicts.map((conflict) => ({ reason: "FieldManagerConflict", message: `conflict with ${conflict}` })),
      });
    const next = structuredClone(existing);
    const previous = managers.get(manager) ?? new Set<string>();
    for (const path of previous) {
      const ownedByOther = [...managers].some(([other, paths]) => other !== manager && paths.has(path));
      if (!applied.has(path) && !ownedByOther) deleteAt(next, path);
    }
    for (const path of applied) setAt(next, path, structuredClone(valueAt(config, path)));
    for (const [other, paths] of managers) if (other !== manager) for (const path of applied) paths.delete(path);
    managers.set(manager, applied);
    owners.set(key, managers);
    return commitChange(type, key, existing, next);
  }

  function commitChange(type: KubeResourceType, key: string, existing: KubeObject, next: KubeObject): KubeObject {
    if (JSON.stringify(existing.spec) !== JSON.stringify(next.spec)) next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
    const comparable = (object: KubeObject) => JSON.stringify({ ...object, metadata: { ...object.metadata, managedFields: undefined } });
    refreshManagedFields(key, next);
    if (comparable(existing) === comparable(next)) return structuredClone(existing);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) return finishDelete(type, key, next);
    return store(type, next, "MODIFIED");
  }

  function finishDelete(type: KubeResourceType, key: string, object: KubeObject): KubeObject {
    objects.delete(key);
    owners.delete(key);
    object.metadata.resourceVersion = String(++resourceVersion);
    emit("DELETED", type, object);
    return structuredClone(object);
  }

  function deleteObject(
    type: KubeResourceType,
    namespace: string,
    name: string,
    preconditions?: { uid?: string; resourceVersion?: string },
  ) {
    assertNamespace(namespace);
    const key = keyOf(type, namespace, name);
    const existing = objects.get(key);
    if (!existing) throw notFound(type, name);
    if (preconditions?.uid && preconditions.uid !== existing.metadata.uid)
      throw new StatusError(
        409,
        "Conflict",
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${existing.metadata.uid}`,
      );
    if (preconditions?.resourceVersion && preconditions.resourceVersion !== existing.metadata.resourceVersion)
      throw new StatusError(
        409,
        "Conflict",
        `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`,
      );
    if ((existing.metadata.finalizers ?? []).length > 0) {
      if (existing.metadata.deletionTimestamp) return structuredClone(existing);
      const next = structuredClone(existing);
      next.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      return store(type, next, "MODIFIED");
    }
    return finishDelete(type, key, structuredClone(existing));
  }

  function listOf(type: KubeResourceType, namespace: string, matches: (object: KubeObject) => boolean): KubeObject[] {
    const prefix = keyOf(type, namespace, "");
    return [...objects]
      .filter(([key, object]) => key.startsWith(prefix) && matches(object))
      .map(([, object]) => structuredClone(object))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  function startWatch(type: KubeResourceType, namespace: string, query: Record<string, string>, res: ServerResponse): void {
    const matches = selectorMatcher(query);
    const from = query.resourceVersion;
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache, private" });
    // A real server answers a watch's headers at once, before any event.
    res.flushHeaders();
    const watcher: Watcher = { key: `${type.group}/${type.plural}`, namespace, matches, res };
    if (from === undefined || from === "" || from === "0") {
      // "Any" version: the current objects as ADDED, then changes.
      for (const object of listOf(type, namespace, matches)) writeEvent(res, { type: "ADDED", object } as StoredEvent);
    } else {
      const since = Number(from);
      if (!Number.isInteger(since) || since < compactedThrough) {
        res.end(
          `${JSON.stringify({
            type: "ERROR",
            object: statusBody(410, "Expired", `too old resource version: ${from} (${compactedThrough})`),
          })}\n`,
        );
        return;
      }
      for (const event of events)
        if (event.resourceVersion > since && event.key === watcher.key && event.namespace === namespace && matches(event.object))
          writeEvent(res, event);
    }
    watchers.add(watcher);
    const timeout = Number(query.timeoutSeconds ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.once("close", () => {
      watchers.delete(watcher);
      if (timer) clearTimeout(timer);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, record: KubeRequestRecord): Promise<void> {
    if (req.headers.authorization !== `Bearer ${token}`) throw new StatusError(401, "Unauthorized", "Unauthorized");
    const match = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/(status))?\/?$/.exec(record.path);
    if (!match) throw new StatusError(404, "NotFound", "the server could not find the requested resource");
    const [, group, version, namespace, plural, name, subresource] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
      string?,
      string?,
    ];
    const type = typeOf(plural);
    if (type.group !== group || type.version !== version)
      throw new StatusError(404, "NotFound", "the server could not find the requested resource");
    const body = ["POST", "PUT", "PATCH", "DELETE"].includes(req.method ?? "") ? await readBody(req) : "";
    const query = record.query;
    const send = (status: number, value: unknown) => {
      record.status = status;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (req.method === "GET" && name === undefined) {
      assertNamespace(namespace);
      if (query.watch === "true" || query.watch === "1") {
        record.status = 200;
        return startWatch(type, namespace, query, res);
      }
      return send(200, {
        apiVersion: `${type.group}/${type.version}`,
        kind: `${type.kind}List`,
        metadata: { resourceVersion: String(resourceVersion) },
        items: listOf(type, namespace, selectorMatcher(query)),
      });
    }
    if (req.method === "POST" && name === undefined) {
      const manager = query.fieldManager;
      return send(201, createObject(type, namespace, parseJson(body), manager));
    }
    if (name === undefined)
      throw new StatusError(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`);
    const key = keyOf(type, namespace, name);
    if (req.method === "GET") {
      assertNamespace(namespace);
      const object = objects.get(key);
      if (!object) throw notFound(type, name);
      return send(200, object);
    }
    if (req.method === "PUT") {
      assertNamespace(namespace);
      const existing = objects.get(key);
      if (!existing) throw notFound(type, name);
      const replacement = parseJson(body);
      if (replacement.metadata?.resourceVersion !== undefined && replacement.metadata.resourceVersion !== existing.metadata.resourceVersion)
        throw new StatusError(
          409,
          "Conflict",
          `Operation cannot be fulfilled on ${qualified(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      const next = structuredClone(existing);
      if (subresource === "status") next.status = replacement.status;
      else {
        next.spec = replacement.spec;
        next.metadata.labels = replacement.metadata.labels;
        next.metadata.annotations = replacement.metadata.annotations;
        next.metadata.finalizers = replacement.metadata.finalizers;
        if (type.statusSubresource === false) next.status = replacement.status;
      }
      return send(200, commitChange(type, key, existing, next));
    }
    if (req.method === "PATCH") {
      const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
      if (contentType === "application/apply-patch+yaml") {
        if (!query.fieldManager)
          throw new StatusError(
            400,
            "BadRequest",
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
          );
        const existed = objects.has(key);
        const result = apply(
          type,
          namespace,
          name,
          parseJson(body),
          query.fieldManager,
          query.force === "true",
          subresource === "status" ? "status" : undefined,
        );
        return send(existed ? 200 : 201, result);
      }
      if (contentType === "application/merge-patch+json") {
        assertNamespace(namespace);
        const existing = objects.get(key);
        if (!existing) throw notFound(type, name);
        const patch = parseJson(body) as Record<string, unknown>;
        const next = mergePatch(
          structuredClone(existing),
          subresource === "status"
            ? { status: patch.status }
            : { ...patch, status: type.statusSubresource === false ? patch.status : undefined },
        ) as KubeObject;
        if (subresource !== "status" && type.statusSubresource !== false) next.status = existing.status;
        next.metadata.name = existing.metadata.name;
        next.metadata.namespace = existing.metadata.namespace;
        next.metadata.uid = existing.metadata.uid;
        return send(200, commitChange(type, key, existing, next));
      }
      throw new StatusError(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/apply-patch+yaml`,
      );
    }
    if (req.method === "DELETE") {
      const options = body ? (parseJson(body) as { preconditions?: { uid?: string; resourceVersion?: string } }) : {};
      const deleted = deleteObject(type, namespace, name, options.preconditions);
      if (deleted.metadata.deletionTimestamp && objects.has(key)) return send(202, deleted);
      return send(200, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Success",
        details: { name, group: type.group, kind: type.plural, uid: deleted.metadata.uid },
      });
    }
    throw new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  }

  const server: Server = createServer({ key, cert }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://localhost");
    const record: KubeRequestRecord = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers["content-type"],
      status: 0,
    };
    records.push(record);
    handle(req, res, record).catch((error: unknown) => {
      const status = error instanceof StatusError ? error.code : 500;
      record.status = status;
      const body =
        error instanceof StatusError
          ? statusBody(error.code, error.reason, error.message, error.details)
          : statusBody(500, "InternalError", `Internal error occurred: ${(error as Error).message}`);
      if (res.headersSent) return res.end();
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const url = `https://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

  const kubeconfig = (namespace = "default") =>
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "loopback", cluster: { server: url, "certificate-authority-data": Buffer.from(cert).toString("base64") } }],
      users: [{ name: "loopback", user: { token } }],
      contexts: [{ name: "loopback", context: { cluster: "loopback", user: "loopback", namespace } }],
      "current-context": "loopback",
    });

  return {
    url,
    token,
    caPem: cert,
    kubeconfig,
    async writeKubeconfig(namespace) {
      const path = join(folder, `kubeconfig-${randomBytes(4).toString("hex")}.yaml`);
      await writeFile(path, kubeconfig(namespace), { mode: 0o600 });
      return path;
    },
    requests: () => records.map((record) => ({ ...record })),
    get(plural, namespace, name) {
      const object = objects.get(keyOf(typeOf(plural), namespace, name));
      return object ? structuredClone(object) : undefined;
    },
    list: (plural, namespace) => listOf(typeOf(plural), namespace, () => true),
    create: (plural, object) => createObject(typeOf(plural), object.metadata.namespace, object),
    writeStatus(plural, namespace, name, status) {
      const type = typeOf(plural);
      const key = keyOf(type, namespace, name);
      const existing = objects.get(key);
      if (!existing) throw notFound(type, name);
      return commitChange(type, key, existing, { ...structuredClone(existing), status: structuredClone(status) });
    },
    updateMetadata(plural, namespace, name, change) {
      const type = typeOf(plural);
      const key = keyOf(type, namespace, name);
      const existing = objects.get(key);
      if (!existing) throw notFound(type, name);
      const next = structuredClone(existing);
      change(next.metadata);
      return commitChange(type, key, existing, next);
    },
    remove(plural, namespace, name) {
      deleteObject(typeOf(plural), namespace, name);
    },
    subscribe(plural, namespace, listener) {
      const type = typeOf(plural);
      const entry = { key: `${type.group}/${type.plural}`, namespace, listener };
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
    compact() {
      compactedThrough = resourceVersion;
      events = [];
    },
    endWatches() {
      for (const watcher of watchers) watcher.res.end();
      watchers.clear();
    },
    async stop() {
      for (const watcher of watchers) watcher.res.end();
      watchers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(folder, { recursive: true, force: true });
    },
  };
}

function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}

function writeEvent(res: ServerResponse, event: Pick<StoredEvent, "type" | "object">): void {
  res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

function parseJson(text: string): KubeObject {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
    return value as KubeObject;
  } catch (error) {
    // A real server also takes YAML here; this one takes the JSON that clients send.
    throw new StatusError(400, "BadRequest", `the request body is not a JSON object: ${(error as Error).message}`);
  }
}

/** The applied configuration without what the server owns. */
function withoutSystemFields(body: KubeObject): Record<string, unknown> & { metadata?: unknown; spec?: unknown } {
  const config = structuredClone(body) as Record<string, unknown> & { metadata?: Record<string, unknown> };
  delete config.apiVersion;
  delete config.kind;
  if (config.metadata) {
    for (const field of [
      "name",
      "namespace",
      "uid",
      "resourceVersion",
      "generation",
      "creationTimestamp",
      "deletionTimestamp",
      "managedFields",
    ])
      delete config.metadata[field];
  }
  return config;
}

/**
 * Paths of the leaves of a configuration, as JSON-encoded key arrays: objects are walked, while
 * arrays and scalars are leaves (lists are atomic here; a real server merges list-maps by key).
 */
function leafPaths(value: unknown, prefix: string[] = []): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return prefix.length ? [JSON.stringify(prefix)] : [];
  const entries = Object.entries(value).filter(([, child]) => child !== undefined);
  if (entries.length === 0) return prefix.length ? [JSON.stringify(prefix)] : [];
  return entries.flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
}

function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const key of JSON.parse(path) as string[]) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function setAt(root: unknown, path: string, value: unknown): void {
  const keys = JSON.parse(path) as string[];
  let node = root as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null || Array.isArray(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

function deleteAt(root: unknown, path: string): void {
  const keys = JSON.parse(path) as string[];
  const trail: Array<[Record<string, unknown>, string]> = [];
  let node = root as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null) return;
    trail.push([node, key]);
    node = next as Record<string, unknown>;
  }
  delete node[keys.at(-1)!];
  // Objects left empty by the removal go too.
  for (const [parent, key] of trail.reverse()) {
    const child = parent[key] as Record<string, unknown>;
    if (Object.keys(child).length === 0) delete parent[key];
    else break;
  }
}

/** managedFields' FieldsV1 for a set of leaf paths: `{"f:spec": {"f:template": {...}}}`. */
function fieldsV1(paths: Set<string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const path of paths) {
    let node = root;
    for (const key of JSON.parse(path) as string[]) {
      node[`f:${key}`] ??= {};
      node = node[`f:${key}`] as Record<string, unknown>;
    }
  }
  return root;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const result = (typeof target === "object" && target !== null && !Array.isArray(target) ? target : {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Label selectors (`a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`) and the metadata.name/namespace field selectors. */
function selectorMatcher(query: Record<string, string>): (object: KubeObject) => boolean {
  const tests: Array<(object: KubeObject) => boolean> = [];
  for (const term of splitSelector(query.labelSelector ?? "")) {
    const labels = (object: KubeObject) => object.metadata.labels ?? {};
    const equality = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    const set = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(term);
    if (equality) {
      const [, key, op, value] = equality as unknown as [string, string, string, string];
      tests.push((object) => (op === "!=" ? labels(object)[key] !== value : labels(object)[key] === value));
    } else if (set) {
      const [, key, op, values] = set as unknown as [string, string, string, string];
      const members = new Set(values.split(",").map((value) => value.trim()));
      tests.push((object) => {
        const value = labels(object)[key];
        return op === "in" ? value !== undefined && members.has(value) : value === undefined || !members.has(value);
      });
    } else if (term.startsWith("!")) tests.push((object) => !(term.slice(1) in labels(object)));
    else tests.push((object) => term in labels(object));
  }
  for (const term of splitSelector(query.fieldSelector ?? "")) {
    const match = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match) throw new StatusError(400, "BadRequest", `field label not supported: ${term.split(/[!=]/)[0]}`);
    const [, field, op, value] = match as unknown as [string, string, string, string];
    tests.push((object) => {
      const actual = field === "metadata.name" ? object.metadata.name : object.metadata.namespace;
      return op === "!=" ? actual !== value : actual === value;
    });
  }
  return (object) => tests.every((test) => test(object));
}

/** Splits a selector at commas outside parentheses. */
function splitSelector(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of selector) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      terms.push(current.trim());
      current = "";
    } else current += char;
  }
  if (current.trim()) terms.push(current.trim());
  return terms;
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl. */
async function selfSignedCertificate(folder: string): Promise<{ key: string; cert: string }> {
  const keyPath = join(folder, "apiserver.key");
  const certPath = join(folder, "apiserver.crt");
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyPath,
    "-out",
    certPath,
    "-days",
    "2",
    "-subj",
    "/CN=kube-apiserver",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
  ]);
  return { key: await readFile(keyPath, "utf8"), cert: await readFile(certPath, "utf8") };
}
