// Prio3 preparation between the two collectors of a pair (docs/collection.md).
// The leader drives it in jobs of up to `jobSize` reports, over an
// authenticated server-to-server call; a report enters a batch's aggregate only
// when both collectors verified its proof.
//
//   round 1  leader -> helper  POST /v1/peer/prepare {task, reports: [{id, prep}]}
//            Each side runs prepareInit on its input share, combines both
//            preparation shares (this is where an invalid proof is refused) and
//            runs prepareNext. The helper keeps its output share as "prepared"
//            and answers with its preparation share, so the leader reaches the
//            same verdict on its own.
//   round 2  leader -> helper  POST /v1/peer/commit {task, batch, ids}
//            The leader records the reports as "committing" into its open batch
//            first; the helper adds its prepared output shares to that batch,
//            then the leader adds its own. A leader that dies in between resends
//            round 2 on restart; the helper answers it again without adding twice.
import { createHmac, timingSafeEqual } from "node:crypto";
import { vdafFor, type Aggregate } from "@veil/task";
import type { Prio3Row, ReportStore, StoredTask } from "./store.js";
import { HttpError } from "./http.js";
import { PreparePool, addOutputs, zeros, type PrepareRequest } from "./prepare.js";

/** The other collector of the pair and the secret both hold. */
export interface PeerConfig {
  url: string;
  token: string;
}

/** Checks a peer's bearer token in constant time. */
export function peerAuthorized(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? "");
  if (!m) return false;
  const a = createHmac("sha256", "veil/peer").update(m[1]!).digest();
  const b = createHmac("sha256", "veil/peer").update(token).digest();
  return timingSafeEqual(a, b);
}

/** How long a report waits before its missing helper share is asked for again. */
const RETRY_MS = 30_000;

/** Options of the leader's preparation loop. */
export interface LeaderOptions {
  /** Reports per job (one round trip each way). */
  jobSize?: number;
  /** How soon after a report arrives its job starts, in ms. */
  delayMs?: number;
  /** A report whose helper share has not arrived after this long is dropped as unmatched. */
  unmatchedAfterMs?: number;
}

/** What one flush did, for the caller's log and tests. */
export interface FlushResult {
  aggregated: number;
  invalid: number;
  waiting: number;
}

/** The leader's side: runs jobs per task, one at a time, so a release never races a job. */
export class LeaderAggregator {
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #jobSize: number;
  readonly #delayMs: number;
  readonly #unmatchedAfterMs: number;
  readonly #pool = new PreparePool();
  #closed = false;

  constructor(
    readonly store: ReportStore,
    readonly peer: PeerConfig,
    options: LeaderOptions = {},
  ) {
    this.#jobSize = options.jobSize ?? 200;
    this.#delayMs = options.delayMs ?? 250;
    this.#unmatchedAfterMs = options.unmatchedAfterMs ?? 10 * 60_000;
  }

  /** A report arrived: run a job soon (one timer per task, so a burst makes few jobs). */
  kick(taskId: string): void {
    if (this.#closed || this.#timers.has(taskId)) return;
    const t = setTimeout(() => {
      this.#timers.delete(taskId);
      this.flush(taskId).catch((e: unknown) => console.error(`veil-collector: preparation of task ${taskId.slice(0, 12)} failed: ${(e as Error).message}`));
    }, this.#delayMs);
    t.unref();
    this.#timers.set(taskId, t);
  }

  /** Prepares every pending report of a task and finishes every commit in flight. Serialised per task, across processes too. */
  flush(taskId: string): Promise<FlushResult> {
    return this.exclusive(taskId, () => this.flushNow(taskId));
  }

  /**
   * Runs `fn` after every job of this task already queued in this process, and
   * before any later one, holding the task's lock in the database, so no other
   * collector process on it prepares or releases the task meanwhile.
   */
  exclusive<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(taskId) ?? Promise.resolve();
    const locked = () => this.store.withTaskLock(taskId, fn);
    const next = prev.then(locked, locked);
    this.#chains.set(
      taskId,
      next.catch(() => undefined),
    );
    return next;
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    void this.#pool.close();
  }

  #request(task: StoredTask, row: Prio3Row, peerShares?: Record<string, string>): PrepareRequest {
    return { taskId: task.id, task: task.task, role: "leader", peerToken: this.peer.token, row, ...(peerShares ? { peerShares } : {}) };
  }

  /** flush's work, for a caller already inside `exclusive` (a release). */
  async flushNow(taskId: string): Promise<FlushResult> {
    const task = await this.store.getTask(taskId);
    if (!task) throw new HttpError(404, `no task ${taskId}.`);
    const result: FlushResult = { aggregated: 0, invalid: 0, waiting: 0 };
    result.aggregated += await this.#commit(task, await this.store.prio3Inputs(taskId, "committing", 1_000_000));
    // Pages through the pending reports in arrival order; those still waiting for their helper share stay behind the cursor.
    let cursor: [number, string] = [-1, ""];
    for (;;) {
      const job = await this.store.prio3Inputs(taskId, "pending", this.#jobSize, cursor, Date.now());
      if (job.length === 0) break;
      const last = job[job.length - 1]!;
      cursor = [last.received, last.id];
      const r1 = await this.#prepare(task, job);
      result.invalid += r1.invalid;
      result.waiting += r1.waiting;
      result.aggregated += await this.#commit(task, r1.committing);
    }
    return result;
  }

  /** Round 1 for one job; returns the rows now committing into the open batch. */
  async #prepare(task: StoredTask, rows: Prio3Row[]): Promise<{ committing: Prio3Row[]; invalid: number; waiting: number }> {
    const mine = await this.#pool.run(rows.map((r) => this.#request(task, r)));
    const body = {
      task: task.id,
      reports: rows.flatMap((r, i) => (mine[i]!.ok ? [{ id: r.id, prep: (mine[i] as { shares: Record<string, string> }).shares }] : [])),
    };
    const answer = (await this.#call("/v1/peer/prepare", body)) as { reports: { id: string; status: string; prep?: Record<string, string> }[] };
    const byId = new Map(answer.reports.map((a) => [a.id, a]));
    const committing: Prio3Row[] = [];
    let invalid = 0;
    let waiting = 0;
    const now = Date.now();
    const verdicts: [Prio3Row, "committing" | "invalid" | "unmatched", Record<string, string[]> | null][] = [];
    const retry: Prio3Row[] = [];
    const toVerify: [Prio3Row, Record<string, string>][] = [];
    for (const [i, row] of rows.entries()) {
      const a = byId.get(row.id);
      if (a?.status === "missing" || (!a && mine[i]!.ok)) {
        if (now - row.received >= this.#unmatchedAfterMs) verdicts.push([row, "unmatched", null]);
        else (waiting++, retry.push(row));
      } else if (a?.status === "prepared" && mine[i]!.ok) toVerify.push([row, a.prep ?? {}]);
      else verdicts.push([row, "invalid", null]);
    }
    // The leader's own verdict: combine both preparation shares and finish preparation, as the helper did.
    const verified = await this.#pool.run(toVerify.map(([row, helperShares]) => this.#request(task, row, helperShares)));
    toVerify.forEach(([row], i) => {
      const v = verified[i]!;
      verdicts.push(v.ok && v.outputs ? [row, "committing", v.outputs] : [row, "invalid", null]);
    });
    await this.store.transaction(async (q) => {
      // A report whose helper share has not come is asked for again only after RETRY_MS, so reports
      // posted to the leader alone cannot make every job resend all of them.
      for (const row of retry) await q.retryLater(task.id, row.id, now + RETRY_MS);
      for (const [row, state, outputs] of verdicts) {
        const flat = outputs && flatten(outputs);
        if (!(await q.setPrio3State(task.id, row.id, ["pending"], state, state === "committing" ? task.openBatch : null, flat))) continue;
        if (state === "committing") committing.push({ ...row, state, batch: task.openBatch, output: flat });
        else if (state === "invalid") invalid++;
      }
    });
    return { committing, invalid, waiting };
  }

  /** Round 2: the helper commits, then the leader adds its output shares to the same batch. */
  async #commit(task: StoredTask, rows: Prio3Row[]): Promise<number> {
    let done = 0;
    for (const batch of new Set(rows.map((r) => r.batch!))) {
      const these = rows.filter((r) => r.batch === batch);
      const answer = (await this.#call("/v1/peer/commit", { task: task.id, batch, ids: these.map((r) => r.id) })) as {
        reports: { id: string; status: string }[];
      };
      const ok = new Set(answer.reports.filter((a) => a.status === "done").map((a) => a.id));
      done += await this.store.transaction(async (q) => {
        await q.lockTask(task.id);
        const b = await q.getBatch(task.id, batch);
        if (b?.released) throw new HttpError(409, `batch ${batch} of task ${task.id} was released while reports were committing into it.`);
        let aggregate = b?.aggregate ?? null;
        let count = b?.count ?? 0;
        let added = 0;
        for (const r of these) {
          // Only a row still committing counts: a report is added to a batch once, whoever else tried.
          if (!ok.has(r.id)) await q.setPrio3State(task.id, r.id, ["committing"], "invalid", null, null);
          else if (await q.setPrio3State(task.id, r.id, ["committing"], "done", batch, null)) {
            aggregate = addOutputs(task.task, aggregate, unflatten(r.output!));
            count++;
            added++;
          }
        }
        await q.putBatch(task.id, batch, count, aggregate ?? emptyAggregate(task.task.aggregates));
        return added;
      });
    }
    return done;
  }

  async #call(path: string, body: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.peer.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.peer.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      throw new HttpError(503, `the helper collector at ${this.peer.url} cannot be reached (${(e as Error).message}); nothing was aggregated.`);
    }
    const json = (await res.json().catch(() => ({}))) as { error?: string };
    if (!res.ok) throw new HttpError(res.status === 404 ? 409 : 503, `the helper collector refused preparation: ${json.error ?? res.status}`);
    return json;
  }
}

/** The helper's side of both rounds. */
export class HelperAggregator {
  readonly #pool = new PreparePool();

  constructor(
    readonly store: ReportStore,
    readonly peerToken: string,
  ) {}

  close(): void {
    void this.#pool.close();
  }

  /** Round 1: verify each report's proof with the leader's preparation shares; keep the output share as "prepared". */
  async prepare(
    task: StoredTask,
    reports: { id: string; prep: Record<string, string> }[],
  ): Promise<{ id: string; status: string; prep?: Record<string, string> }[]> {
    const answers = new Map<string, { id: string; status: string; prep?: Record<string, string> }>();
    const jobs: PrepareRequest[] = [];
    for (const r of reports) {
      const row = await this.store.prio3Input(task.id, r.id);
      if (!row) answers.set(r.id, { id: r.id, status: "missing" });
      else if (row.state !== "pending" && row.state !== "prepared") answers.set(r.id, { id: r.id, status: row.state });
      else jobs.push({ taskId: task.id, task: task.task, role: "helper", peerToken: this.peerToken, row, peerShares: r.prep ?? {} });
    }
    const results = await this.#pool.run(jobs);
    await this.store.transaction(async (q) => {
      for (const [i, j] of jobs.entries()) {
        const res = results[i]!;
        const ok = res.ok && res.outputs;
        // A report committed meanwhile (another helper process answered first) keeps its state.
        if (!(await q.setPrio3State(task.id, j.row.id, ["pending", "prepared"], ok ? "prepared" : "invalid", null, ok ? flatten(res.outputs!) : null))) {
          const now = await q.prio3Input(task.id, j.row.id);
          answers.set(j.row.id, { id: j.row.id, status: now?.state ?? "missing" });
        } else answers.set(j.row.id, ok ? { id: j.row.id, status: "prepared", prep: res.shares } : { id: j.row.id, status: "invalid" });
      }
    });
    return reports.map((r) => answers.get(r.id)!);
  }

  /** Round 2: add prepared output shares to the leader's batch; answering again for reports already in it. */
  commit(task: StoredTask, batch: number, ids: string[]): Promise<{ id: string; status: string }[]> {
    return this.store.transaction(async (q) => {
      await q.lockTask(task.id);
      const b = await q.getBatch(task.id, batch);
      if (b?.released) throw new HttpError(409, `batch ${batch} of task ${task.id} is already released here; nothing more can join it.`);
      let aggregate = b?.aggregate ?? null;
      let count = b?.count ?? 0;
      const answers: { id: string; status: string }[] = [];
      for (const id of ids) {
        const row = await q.prio3Input(task.id, id);
        if (row?.state === "done") answers.push({ id, status: row.batch === batch ? "done" : "conflict" });
        else if (row?.state !== "prepared") answers.push({ id, status: row ? row.state : "missing" });
        else if (!(await q.setPrio3State(task.id, id, ["prepared"], "done", batch, null))) answers.push({ id, status: "conflict" });
        else {
          aggregate = addOutputs(task.task, aggregate, unflatten(row.output!));
          count++;
          answers.push({ id, status: "done" });
        }
      }
      await q.putBatch(task.id, batch, count, aggregate ?? emptyAggregate(task.task.aggregates));
      return answers;
    });
  }
}

function emptyAggregate(aggregates: Aggregate[]): Record<string, string[]> {
  return Object.fromEntries(aggregates.map((a) => [a.id, zeros(vdafFor(a)).map(String)]));
}
const flatten = (o: Record<string, string[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.join(",")]));
const unflatten = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.split(",")]));
