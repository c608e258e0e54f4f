// Test fixtures (not shipped): a task, a leader and a helper on 127.0.0.1 with
// real SQLite files in a temporary folder, and a device that reports to both.
import { mkdtemp, rm } from "node:fs/promises";
import { writeFileSync } from "node:fs";
import { once } from "node:events";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildReports, parseTask, taskId, type ReportInput, type WireReport } from "@veil/task";
import { startCollector, type Collector, type CollectorOptions } from "./server.js";

export const ANALYST_TOKEN = "analyst-token-used-by-the-tests-only";
export const PEER_TOKEN = "peer-token-used-by-the-tests-only";
export const auth = { authorization: `Bearer ${ANALYST_TOKEN}` };

/** A feedback task like the example app's, with a small minimum batch so tests stay short. */
export function feedbackTask(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    name: "feedback",
    text: { mechanism: "gumbel", epsilon: 50 },
    questions: [
      { id: "recommend", type: "rr", labels: ["No", "Yes"], epsilon: 1 },
      { id: "rating", type: "bounded", lower: 1, upper: 5, epsilon: 1 },
    ],
    aggregates: [
      { id: "amount", type: "sum", lower: 0, upper: 1000, decimals: 2, epsilon: 1 },
      { id: "feature", type: "histogram", labels: ["Search", "Checkout", "Tracking", "Chat"], epsilon: 1 },
    ],
    minBatchSize: 5,
    schedule: "manual",
    ...overrides,
  };
}

/** A valid input for feedbackTask: the text and answers already privatized, the aggregates exact. */
export const input = (amount = "12.34", feature = 1): ReportInput => ({
  text: "the food was great",
  answers: { recommend: 1, rating: 3.25 },
  aggregates: { amount, feature },
});

export interface Pair {
  leader: Collector;
  helper: Collector;
  id: string;
  task: ReturnType<typeof parseTask>;
  dir: string;
  /** Builds a device's two reports and posts each to its collector; returns both responses' statuses. */
  send(i?: ReportInput): Promise<{ id: string; leader: WireReport; helper: WireReport; status: [number, number] }>;
  close(): Promise<void>;
}

export async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "veil-collector-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/reports`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Starts a helper, then a leader pointing at it, both holding `rawTask`. Preparation runs only when a test flushes. */
export async function startPair(
  place: { dir: string; db(name: string): Promise<string> },
  rawTask: unknown = feedbackTask(),
  extra: Partial<CollectorOptions> = {},
  helperTask: unknown = rawTask,
): Promise<Pair> {
  const helper = await startCollector({ database: await place.db("helper"), role: "helper", peer: { url: "", token: PEER_TOKEN }, ...extra });
  const leader = await startCollector({
    database: await place.db("leader"),
    role: "leader",
    peer: { url: helper.url, token: PEER_TOKEN },
    aggregation: { delayMs: 3_600_000 },
    ...extra,
  });
  const id = await leader.addTask(rawTask, ANALYST_TOKEN);
  await helper.addTask(helperTask, ANALYST_TOKEN);
  const task = parseTask(rawTask);
  return {
    leader,
    helper,
    id,
    task,
    dir: place.dir,
    async send(i = input()) {
      const r = await buildReports(task, await taskId(task), i);
      const [a, b] = await Promise.all([post(leader.url, r.leader), post(helper.url, r.helper)]);
      return { ...r, status: [a.status, b.status] };
    },
    async close() {
      await leader.close();
      await helper.close();
    },
  };
}

/** GET or POST an analyst route with the token (or `headers` instead). */
export async function analyst(url: string, path: string, body?: unknown, headers: Record<string, string> = auth): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {
    // the dashboard is HTML
  }
  return { status: res.status, json };
}

/** A collector started as its own process through the CLI, as an operator runs it. */
export interface CollectorProcess {
  child: ChildProcess;
  url: string;
  /** Resolves with the first match of `pattern` in what the process printed, now or later. */
  printed(pattern: RegExp): Promise<RegExpExecArray>;
}

/**
 * Writes what `veil-collector serve` reads from files (the task, the analyst
 * token, the peer token) into `dir` and returns the flags that name them.
 */
export function serveFiles(dir: string, rawTask: unknown, analystToken: string, peerToken: string): string[] {
  const files = { task: join(dir, "task.json"), analyst: join(dir, "analyst.token"), peer: join(dir, "peer.token") };
  writeFileSync(files.task, JSON.stringify(rawTask));
  writeFileSync(files.analyst, analystToken);
  writeFileSync(files.peer, peerToken);
  return ["--task", files.task, "--token-file", files.analyst, "--peer-token-file", files.peer];
}

/** Collector processes still running: killed if this process exits first, so a test or benchmark that fails leaves none behind. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts `veil-collector serve ARGS` and resolves once it says it listens (rejects if it exits first or takes over 20 s). */
export async function serveProcess(args: string[]): Promise<CollectorProcess> {
  const main = fileURLToPath(new URL("./main.js", import.meta.url));
  const child = spawn(process.execPath, [main, "serve", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const printed = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out);
        if (!m) return false;
        child.stdout!.off("data", check);
        child.off("exit", exited);
        resolve(m);
        return true;
      };
      const exited = (code: number | null) => reject(new Error(`the collector exited with ${code} before printing ${pattern}: ${out}`));
      if (check()) return;
      child.stdout!.on("data", check);
      child.once("exit", exited);
    });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the collector did not start within 20 s: ${out}`)), 20_000)));
  try {
    const m = await Promise.race([printed(/veil-collector listening on (http:\/\/127\.0\.0\.1:\d+)/), timeout]);
    return { child, url: m[1]!, printed };
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for a child process to exit, for at most `ms`: past that it is killed and the wait fails (a hung process must not hang the suite). */
export async function exitWithin(child: ChildProcess, ms = 15_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`process ${child.pid} did not exit within ${ms} ms`));
    }, ms);
  });
  try {
    const [code] = (await Promise.race([once(child, "exit"), timeout])) as [number | null];
    return code;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Devices reporting without pause: each of `concurrency` senders builds a report
 * pair, posts the helper's part, then the leader's, and keeps what the leader
 * acknowledged with 201. A post that fails (its process was killed) is counted,
 * not retried: it was never acknowledged. Used by the crash tests and
 * `pnpm bench:collector`.
 */
export class ReportLoad {
  readonly acknowledged = new Set<string>();
  failed = 0;
  #stopped = false;
  #waiters: { n: number; resolve: () => void }[] = [];
  readonly #senders: Promise<void>[];

  constructor(
    readonly task: ReturnType<typeof parseTask>,
    readonly helperUrl: string,
    readonly leaderUrl: string,
    concurrency = 8,
    readonly make: (i: number) => ReportInput = () => input("7.5", 1),
  ) {
    this.#senders = Array.from({ length: concurrency }, () => this.#send());
  }

  async #send(): Promise<void> {
    const id = await taskId(this.task);
    while (!this.#stopped) {
      const r = await buildReports(this.task, id, this.make(this.acknowledged.size + this.failed));
      const h = await post(this.helperUrl, r.helper);
      if (h.status !== 201) throw new Error(`the helper answered ${h.status}`);
      const res = await post(this.leaderUrl, r.leader).catch(() => undefined);
      if (res && res.status !== 201) throw new Error(`the leader answered ${res.status}`);
      if (!res) this.failed++;
      else this.#acknowledge(r.id);
    }
  }

  #acknowledge(id: string): void {
    this.acknowledged.add(id);
    this.#waiters = this.#waiters.filter((w) => (this.acknowledged.size >= w.n ? (w.resolve(), false) : true));
  }

  /** Resolves once `n` reports in all have been acknowledged. */
  reach(n: number): Promise<void> {
    if (this.acknowledged.size >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  /** Stops the senders and waits for the posts in flight; rejects if a sender failed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#senders);
  }
}
