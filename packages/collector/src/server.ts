// The collector's HTTP server, on 127.0.0.1 (docs/collection.md has the whole protocol).
//
// Anyone may:             POST /v1/reports                  a report that fits a task held here; 201 once durable
//                         GET  /v1/tasks, /v1/tasks/:id     the tasks held here, in canonical form
// The peer collector:     POST /v1/peer/prepare, /v1/peer/commit   Prio3 preparation (helper only)
// The task's analyst:     GET  /v1/tasks/:id/estimates | texts | batches | releases/:batch
//                         POST /v1/tasks/:id/release        release the open batch (helper: the batch the leader released)
//                         GET  /v1/estimates, /v1/texts, /  the same for the only task (or ?task=ID); / is the dashboard
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { parseReport, parseTask, taskId as computeTaskId, ReportError, TaskError, type Task } from "@veil/task";
import { ReportStore, type StoredTask } from "./store.js";
import { StoreUnavailableError } from "./db/sql.js";
import { HelperAggregator, LeaderAggregator, peerAuthorized, type LeaderOptions, type PeerConfig } from "./aggregation.js";
import { COMMON_HEADERS, HttpError, TokenBucket, hostAllowed, readJson, requireAnalyst, sendJson, tokenHash } from "./http.js";
import { releaseBatch } from "./release.js";
import { estimates } from "./estimates.js";
import { DASHBOARD_CSS, renderDashboard } from "./dashboard.js";

/** How a collector runs: its database, role, peer, and the limits that keep it up. */
export interface CollectorOptions {
  /**
   * The database: a SQLite file (created readable by its owner only on first
   * start), or a postgres:// connection string that several collector
   * processes may share (see docs/collection.md, "Several processes").
   */
  database: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Leader (gets the privatized answers and drives Prio3 preparation) or helper (gets only Prio3 helper shares). Default leader. */
  role?: "leader" | "helper";
  /** The other collector of the pair and the secret both hold; needed when a task has aggregates. */
  peer?: PeerConfig;
  /** Origins allowed to post reports from a browser (CORS), e.g. "http://127.0.0.1:5174". */
  allowOrigins?: string[];
  /** Host headers accepted besides 127.0.0.1:PORT, localhost:PORT and [::1]:PORT (e.g. a reverse proxy's name). */
  allowHosts?: string[];
  /** Name shown on the dashboard. */
  name?: string;
  /** Intake limit: reports a second, and how many may come at once. Default 2,000/s, burst 4,000. */
  rate?: { perSecond: number; burst: number };
  /** Open connections at most (default 1,024); more are dropped as they arrive. */
  maxConnections?: number;
  /** Open connections from one address at most (default 128), so one client cannot take them all. */
  maxConnectionsPerAddress?: number;
  /** Time to receive a request's headers and body, and idle time of a socket, in ms (default 10,000). */
  timeoutMs?: number;
  /** The leader's preparation loop. */
  aggregation?: LeaderOptions;
}

/** A running collector. */
export interface Collector {
  url: string;
  port: number;
  role: "leader" | "helper";
  store: ReportStore;
  /** Holds a task; the analyst token is stored as its SHA-256. Returns the task's id. */
  addTask(task: unknown, analystToken: string): Promise<string>;
  /** Leader: prepares every report waiting (what a release does first). */
  flush(taskId: string): Promise<unknown>;
  close(): Promise<void>;
}

const CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const MAX_REPORT_BYTES = 64 * 1024;
const MAX_PEER_BYTES = 8 * 1024 * 1024;

/**
 * Starts a collector on 127.0.0.1 (docs/collection.md). Tasks are added with
 * `addTask` (or `veil-collector task create`); a task with aggregates needs `peer`.
 * Rejects when the port is taken or the database has another schema version.
 */
export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const role = options.role ?? "leader";
  const store = await ReportStore.open(options.database);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const server: Server = createServer({
    headersTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: Math.min(1_000, timeoutMs / 2),
    maxHeaderSize: 16_384,
  });
  server.maxConnections = options.maxConnections ?? 1024;
  server.timeout = timeoutMs; // an idle socket (no bytes at all) is closed too
  server.on("clientError", (_e, socket) => socket.destroy()); // malformed HTTP, timeouts: close without a log line each
  capPerAddress(server, options.maxConnectionsPerAddress ?? 128);
  const leader = role === "leader" && options.peer ? new LeaderAggregator(store, options.peer, options.aggregation) : undefined;
  const helper = role === "helper" && options.peer ? new HelperAggregator(store, options.peer.token) : undefined;
  const routes = new Routes(store, role, options, leader, helper);
  server.on("request", (req, res) => void routes.serve(req, res, port));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  }).catch(async (e: unknown) => {
    await Promise.all([leader?.close(), helper?.close()]);
    await store.close();
    throw e;
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    role,
    store,
    addTask: (raw, token) => holdTask(store, raw, token, options.peer !== undefined),
    flush: (id) => leader?.flush(id) ?? Promise.resolve(),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      // The leader's job in flight finishes its step before the database closes under it.
      await Promise.all([leader?.close(), helper?.close()]);
      await store.close();
    },
  };
}

/**
 * Holds a task in a store: checks it, refuses secret-shared aggregates to a
 * collector without a peer, stores it with its analyst token's SHA-256, and
 * returns its id.
 */
export async function holdTask(store: ReportStore, raw: unknown, analystToken: string, hasPeer: boolean): Promise<string> {
  const task = parseTask(raw);
  const id = await computeTaskId(task);
  if (task.aggregates.length && !hasPeer)
    throw new TaskError(`task ${task.name} has secret-shared aggregates: give the collector its peer (--peer URL and the peer token).`);
  await store.addTask(id, task, tokenHash(analystToken));
  return id;
}

/** Drops a new connection when its address already holds `cap` open ones. */
function capPerAddress(server: Server, cap: number): void {
  const open = new Map<string, number>();
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "";
    const n = (open.get(address) ?? 0) + 1;
    if (n > cap) return void socket.destroy();
    open.set(address, n);
    socket.once("close", () => {
      const left = open.get(address)! - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/** The routes, with what each caller may do. */
class Routes {
  readonly #bucket: TokenBucket;
  readonly #allow: Set<string>;
  /** Task definitions never change once held (the id is their hash), so intake reads each once. */
  readonly #definitions = new Map<string, StoredTask>();

  constructor(
    readonly store: ReportStore,
    readonly role: "leader" | "helper",
    readonly options: CollectorOptions,
    readonly leader?: LeaderAggregator,
    readonly helper?: HelperAggregator,
  ) {
    this.#bucket = new TokenBucket(options.rate?.perSecond ?? 2000, options.rate?.burst ?? 4000);
    this.#allow = new Set(options.allowOrigins ?? []);
  }

  async serve(req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
    try {
      if (!hostAllowed(req, port, this.options.allowHosts ?? [])) throw new HttpError(421, "this collector does not answer to that Host.");
      this.#cors(req, res);
      await this.#route(req, res);
    } catch (e) {
      if (e instanceof HttpError) return sendJson(req, res, e.status, { error: e.message }, e.headers);
      if (e instanceof ReportError) return sendJson(req, res, e.status, { error: e.message });
      if (e instanceof StoreUnavailableError)
        return sendJson(req, res, 503, { error: "the collector's database is unavailable; retry shortly." }, { "Retry-After": "5" });
      if (req.socket?.destroyed !== false || (e as NodeJS.ErrnoException).code === "ECONNRESET" || (e as Error).message === "aborted") return; // the client went away: nothing to answer, nothing to log
      console.error(`veil-collector: ${req.method} ${(req.url ?? "").slice(0, 80)}: ${(e as Error).message}`);
      sendJson(req, res, 500, { error: "internal error" });
    }
  }

  #cors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (origin && this.#allow.has(origin)) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Vary", "Origin");
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (method === "OPTIONS") {
      res.writeHead(204, {
        ...COMMON_HEADERS,
        "Access-Control-Allow-Methods": "POST, GET",
        "Access-Control-Allow-Headers": "content-type",
        "Access-Control-Max-Age": "600",
      });
      return void res.end();
    }
    if (method === "POST" && path === "/v1/reports") return this.#report(req, res);
    if (method === "POST" && path.startsWith("/v1/peer/")) return this.#peer(req, res, path.slice("/v1/peer/".length));
    if (method === "GET" && path === "/v1/tasks") return sendJson(req, res, 200, await this.store.taskIds());
    if (method === "GET" && path === "/dashboard.css") {
      res.writeHead(200, { "Content-Type": "text/css; charset=utf-8", ...COMMON_HEADERS });
      return void res.end(DASHBOARD_CSS);
    }
    const m = /^\/v1\/tasks\/([0-9a-f]{64})(?:\/(estimates|texts|batches|release|releases\/(\d{1,12})))?$/.exec(path);
    if (m) return this.#task(req, res, method, await this.#taskById(m[1]!), m[2], m[3] === undefined ? undefined : Number(m[3]));
    if (method === "GET" && (path === "/v1/estimates" || path === "/v1/texts" || path === "/"))
      return this.#task(req, res, method, await this.#defaultTask(url), path === "/" ? "dashboard" : path.slice(4));
    throw new HttpError(path.startsWith("/v1/") ? 405 : 404, `no route for ${method} ${path.slice(0, 80)}.`);
  }

  async #taskById(id: string): Promise<StoredTask> {
    const t = await this.store.getTask(id);
    if (!t) throw new HttpError(404, `this collector holds no task ${id}.`);
    return t;
  }

  /** The task's definition for intake, read once (a task held by another process since is found on its first report). */
  async #definition(id: string): Promise<StoredTask | undefined> {
    let t = this.#definitions.get(id);
    if (!t && (t = await this.store.getTask(id))) this.#definitions.set(id, t);
    return t;
  }

  async #defaultTask(url: URL): Promise<StoredTask> {
    const asked = url.searchParams.get("task");
    if (asked) return this.#taskById(asked);
    const ids = await this.store.taskIds();
    if (ids.length !== 1) throw new HttpError(404, ids.length ? "this collector holds several tasks: add ?task=ID." : "this collector holds no task yet.");
    return this.#taskById(ids[0]!);
  }

  /** Intake: rate-limited, bounded, checked against the task, stored once. */
  async #report(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const wait = this.#bucket.take();
    if (wait > 0) throw new HttpError(429, "too many reports at once; retry shortly.", { "Retry-After": String(Math.ceil(wait)) });
    const body = await readJson(req, MAX_REPORT_BYTES);
    const taskIdField = (body as { task?: unknown } | null)?.task;
    const task = typeof taskIdField === "string" && /^[0-9a-f]{64}$/.test(taskIdField) ? await this.#definition(taskIdField) : undefined;
    if (!task) throw new HttpError(422, "task must be the id of a task this collector holds (GET /v1/tasks).");
    const report = await parseReport(task.task, this.role, body);
    const digest = createHash("sha256").update(JSON.stringify(body)).digest("hex");
    const r = await this.store.add(task, report, digest);
    if (r.status === "conflict") throw new HttpError(409, `report ${report.id} was already received with other content.`);
    if (r.status === "stored" && report.prio3.length) this.leader?.kick(task.id);
    sendJson(req, res, r.status === "stored" ? 201 : 200, { id: report.id, ...(r.status === "duplicate" ? { duplicate: true } : {}) });
  }

  async #peer(req: IncomingMessage, res: ServerResponse, step: string): Promise<void> {
    if (!this.helper || !peerAuthorized(req.headers.authorization, this.options.peer!.token))
      throw new HttpError(401, "peer calls need this collector's peer token (and only a helper answers them).");
    const body = (await readJson(req, MAX_PEER_BYTES)) as {
      task?: string;
      batch?: number;
      reports?: { id: string; prep: Record<string, string> }[];
      ids?: string[];
    };
    const task = await this.#taskById(typeof body?.task === "string" ? body.task : "");
    if (step === "prepare" && Array.isArray(body.reports)) return sendJson(req, res, 200, { reports: await this.helper.prepare(task, body.reports) });
    if (step === "commit" && Number.isSafeInteger(body.batch) && Array.isArray(body.ids))
      return sendJson(req, res, 200, { reports: await this.helper.commit(task, body.batch!, body.ids) });
    throw new HttpError(400, `a malformed peer ${step.slice(0, 20)} request.`);
  }

  /** The analyst's routes: every one needs the task's token. */
  async #task(req: IncomingMessage, res: ServerResponse, method: string, task: StoredTask, what?: string, batch?: number): Promise<void> {
    if (what === undefined && method === "GET") return sendJson(req, res, 200, task.task);
    requireAnalyst(req, task.tokenHash);
    if (method === "POST" && what === "release") return sendJson(req, res, 200, await this.#release(req, task));
    if (method !== "GET") throw new HttpError(405, `no route for ${method} on a task's ${what ?? "definition"}.`);
    if (what === "estimates") return sendJson(req, res, 200, { task: task.id, reports: task.reports, questions: await estimates(this.store, task) });
    if (what === "texts") return sendJson(req, res, 200, await this.store.texts(task.id, 100));
    if (what === "batches") return sendJson(req, res, 200, await this.#batches(task));
    if (what?.startsWith("releases/")) {
      const released = (await this.store.getBatch(task.id, batch!))?.released;
      if (!released) throw new HttpError(404, `batch ${batch} of task ${task.id} has not been released here.`);
      return sendJson(req, res, 200, released);
    }
    if (what === "dashboard") {
      const html = renderDashboard({
        name: this.options.name ?? "collector",
        role: this.role,
        task,
        estimates: await estimates(this.store, task),
        batches: await this.store.batches(task.id),
        texts: await this.store.texts(task.id, 20),
      });
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP, ...COMMON_HEADERS });
      return void res.end(html);
    }
    throw new HttpError(404, "no such view of a task.");
  }

  async #batches(task: StoredTask) {
    return {
      task: task.id,
      role: this.role,
      openBatch: this.role === "leader" ? task.openBatch : null,
      minBatchSize: task.task.minBatchSize,
      preparation: await this.store.prio3StateCounts(task.id),
      batches: (await this.store.batches(task.id)).map((b) => ({ batch: b.batch, count: b.count, released: b.released !== null })),
    };
  }

  /**
   * The leader releases its open batch after preparing every waiting report
   * (nothing joins the batch after that: the next one opens). The helper
   * releases the batch the leader released, only if it holds the same count.
   * Nothing in the request sets epsilon, the batch size or the servers.
   */
  async #release(req: IncomingMessage, task: StoredTask) {
    if (task.task.aggregates.length === 0) throw new HttpError(409, "this task has no secret-shared aggregates to release.");
    if (this.role === "leader") {
      if (!this.leader) throw new HttpError(503, "this leader has no peer configured.");
      if (Number(req.headers["content-length"] ?? 0) > 0) await readJson(req, 1024); // read and ignored: the task fixes epsilon and the batch
      return this.leader.exclusive(task.id, async () => {
        await this.leader!.flushNow(task.id);
        return releaseBatch(this.store, task.id, "leader");
      });
    }
    const body = (await readJson(req, 1024)) as { batch?: unknown; count?: unknown } | null;
    if (!Number.isSafeInteger(body?.batch) || !Number.isSafeInteger(body?.count))
      throw new HttpError(422, "the helper releases the batch the leader released: send {batch, count}.");
    return releaseBatch(this.store, task.id, "helper", body!.batch as number, body!.count as number);
  }
}

/** Reads a task definition file's JSON and returns its canonical form and id. */
export async function loadTask(raw: unknown): Promise<{ task: Task; id: string }> {
  const task = parseTask(raw);
  return { task, id: await computeTaskId(task) };
}
