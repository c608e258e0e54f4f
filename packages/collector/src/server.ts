// The collector's HTTP server: 127.0.0.1 only, JSON in, estimates out.
//   POST /v1/reports            a privatized report (schema.ts); 201 once durable
//   GET  /v1/estimates          estimates with confidence intervals
//   GET  /v1/texts              the privatized texts
//   GET  /v1/sums               secret-shared sums held here
//   POST /v1/sums/:name/release this server's noised share sum (closes the round)
//   GET  /                      the dashboard
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ReportStore } from "./store.js";
import { MAX_REPORT_BYTES, ReportError, parseReport } from "./schema.js";
import { estimates } from "./estimates.js";
import { DASHBOARD_CSS, renderDashboard } from "./dashboard.js";

export interface CollectorOptions {
  /** SQLite database file (created with its schema on first start). */
  database: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Origins allowed to post reports from a browser (CORS), e.g. "http://127.0.0.1:5174". */
  allowOrigins?: string[];
  /** Name shown on the dashboard. */
  name?: string;
}

export interface Collector {
  url: string;
  port: number;
  store: ReportStore;
  close(): Promise<void>;
}

const CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const store = new ReportStore(options.database);
  const allow = new Set(options.allowOrigins ?? []);
  const name = options.name ?? "collector";
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof ReportError ? e.status : 500;
      const message = e instanceof ReportError ? e.message : "internal error";
      if (status === 500) console.error(e);
      send(res, status, { error: message });
    });
  });

  function cors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (origin && allow.has(origin)) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Vary", "Origin");
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    cors(req, res);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;
    if (req.method === "OPTIONS") {
      res.writeHead(204, { "Access-Control-Allow-Methods": "POST, GET", "Access-Control-Allow-Headers": "content-type", "Access-Control-Max-Age": "600" });
      return void res.end();
    }
    if (req.method === "POST" && path === "/v1/reports") {
      const body = await readJson(req);
      const report = parseReport(body);
      const id = store.add(report);
      return send(res, 201, { id });
    }
    if (req.method === "POST" && path.startsWith("/v1/sums/") && path.endsWith("/release")) {
      const sum = decodeURIComponent(path.slice("/v1/sums/".length, -"/release".length));
      const body = (await readJson(req)) as { epsilon?: unknown; servers?: unknown };
      const epsilon = body?.epsilon;
      const servers = body?.servers;
      if (typeof epsilon !== "number" || !(epsilon > 0 && epsilon <= 100)) throw new ReportError(422, "epsilon must be a number in (0, 100].");
      if (typeof servers !== "number" || !Number.isInteger(servers) || servers < 2 || servers > 10)
        throw new ReportError(422, "servers must be an integer from 2 to 10.");
      return send(res, 200, store.releaseSum(sum, epsilon, servers));
    }
    if (req.method === "GET" && path === "/v1/estimates") return send(res, 200, { reports: store.reportCount(), questions: estimates(store) });
    if (req.method === "GET" && path === "/v1/texts") return send(res, 200, store.texts());
    if (req.method === "GET" && path === "/v1/sums") return send(res, 200, store.sums());
    if (req.method === "GET" && path === "/dashboard.css") {
      res.writeHead(200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "no-store" });
      return void res.end(DASHBOARD_CSS);
    }
    if (req.method === "GET" && path === "/") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP, "Cache-Control": "no-store" });
      return void res.end(renderDashboard(name, store, estimates(store)));
    }
    throw new ReportError(path.startsWith("/v1/") ? 405 : 404, `no route for ${req.method} ${path.slice(0, 80)}.`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          store.close();
          resolve();
        });
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw new ReportError(415, "send the report as application/json.");
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_REPORT_BYTES) throw new ReportError(413, `reports are limited to ${MAX_REPORT_BYTES} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REPORT_BYTES) throw new ReportError(413, `reports are limited to ${MAX_REPORT_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new ReportError(400, "the body is not valid JSON.");
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}
