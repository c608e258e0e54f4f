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
import type { Prio3Row, Prio3State, ReportStore, StoreQueries, StoredTask } from "./store.js";
import { HttpError } from "./http.js";
import { PreparePool, addOutputs, zeros, type PrepareRequest } from "./prepare.js";
import { NamedMutex } from "./db/mutex.js";

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
  readonly #jobs = new NamedMutex();
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
      // When another process holds the task (it is preparing: it pages through these reports too), wait
      // for the next round instead of queueing on its lock with a connection held.
      this.#chain(taskId, () => this.store.tryWithTaskLock(taskId, () => this.flushNow(taskId)))
        .then((r) => r.ran || this.kick(taskId))
        .catch((e: unknown) => console.error(`veil-collector: preparation of task ${taskId.slice(0, 12)} failed: ${(e as Error).message}`));
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
    return this.#chain(taskId, () => this.store.withTaskLock(taskId, fn));
  }

  /** Runs `fn` after every job of this task already queued in this process. */
  #chain<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
    return this.#jobs.run(taskId, fn);
  }

  /** Stops starting jobs, waits for the one in flight to finish its current step, and stops the preparation threads. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    await this.#jobs.idle();
    await this.#pool.close();
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
    while (!this.#closed) {
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
      await q.retryLater(
        task.id,
        retry.map((r) => r.id),
        now + RETRY_MS,
      );
      const changes = verdicts.map(([row, state, outputs]) => ({
        id: row.id,
        state,
        batch: state === "committing" ? task.openBatch : null,
        output: outputs && flatten(outputs),
      }));
      const moved = await q.setPrio3States(task.id, ["pending"], changes);
      verdicts.forEach(([row, state], i) => {
        if (!moved.has(row.id)) return;
        if (state === "committing") committing.push({ ...row, state, batch: task.openBatch, output: changes[i]!.output });
        else if (state === "invalid") invalid++;
      });
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
        const accepted = these.filter((r) => ok.has(r.id)).map((r) => ({ id: r.id, output: r.output! }));
        const moved = await commitIntoBatch(q, task, batch, "committing", async () => accepted, "was released while reports were committing into it");
        const refused = these.filter((r) => !ok.has(r.id)).map((r) => ({ id: r.id, state: "invalid" as const, batch: null, output: null }));
        await q.setPrio3States(task.id, ["committing"], refused);
        return moved.size;
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

  /** Stops the preparation threads. */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  /** Round 1: verify each report's proof with the leader's preparation shares; keep the output share as "prepared". */
  async prepare(
    task: StoredTask,
    reports: { id: string; prep: Record<string, string> }[],
  ): Promise<{ id: string; status: string; prep?: Record<string, string> }[]> {
    const answers = new Map<string, { id: string; status: string; prep?: Record<string, string> }>();
    const jobs: PrepareRequest[] = [];
    const held = await this.store.prio3InputsById(
      task.id,
      reports.map((r) => r.id),
    );
    for (const r of reports) {
      const row = held.get(r.id);
      if (!row) answers.set(r.id, { id: r.id, status: "missing" });
      else if (row.state !== "pending" && row.state !== "prepared") answers.set(r.id, { id: r.id, status: row.state });
      else jobs.push({ taskId: task.id, task: task.task, role: "helper", peerToken: this.peerToken, row, peerShares: r.prep ?? {} });
    }
    const results = await this.#pool.run(jobs);
    await this.store.transaction(async (q) => {
      const verdicts = jobs.map((j, i) => {
        const r = results[i]!;
        return r.ok && r.outputs ? { id: j.row.id, ok: true, outputs: flatten(r.outputs), prep: r.shares } : { id: j.row.id, ok: false, outputs: null };
      });
      const changes = verdicts.map((v) => ({ id: v.id, state: v.ok ? ("prepared" as const) : ("invalid" as const), batch: null, output: v.outputs }));
      const moved = await q.setPrio3States(task.id, ["pending", "prepared"], changes);
      // A report committed meanwhile (another helper process answered first) keeps its state.
      const now = await q.prio3InputsById(
        task.id,
        verdicts.filter((v) => !moved.has(v.id)).map((v) => v.id),
      );
      for (const v of verdicts)
        if (!moved.has(v.id)) answers.set(v.id, { id: v.id, status: now.get(v.id)?.state ?? "missing" });
        else answers.set(v.id, v.ok ? { id: v.id, status: "prepared", prep: v.prep } : { id: v.id, status: "invalid" });
    });
    return reports.map((r) => answers.get(r.id)!);
  }

  /** Round 2: add prepared output shares to the leader's batch; answering again for reports already in it. */
  commit(task: StoredTask, batch: number, ids: string[]): Promise<{ id: string; status: string }[]> {
    return this.store.transaction(async (q) => {
      let rows = new Map<string, Prio3Row>();
      const prepared = async () => {
        rows = await q.prio3InputsById(task.id, ids);
        return ids.filter((id) => rows.get(id)?.state === "prepared").map((id) => ({ id, output: rows.get(id)!.output! }));
      };
      const moved = await commitIntoBatch(q, task, batch, "prepared", prepared, "is already released here; nothing more can join it");
      return ids.map((id) => {
        const row = rows.get(id);
        if (moved.has(id)) return { id, status: "done" };
        if (row?.state === "done") return { id, status: row.batch === batch ? "done" : "conflict" };
        if (row?.state === "prepared") return { id, status: "conflict" }; // changed by another process meanwhile
        return { id, status: row ? row.state : "missing" };
      });
    });
  }
}

/**
 * Both collectors' commit, inside a transaction: takes the task's row lock, then
 * the rows `pick` reads (after the lock, so it sees what other processes
 * committed), moves them from state `from` to done in `batch`, and adds the
 * output shares of those that moved (a report is added to a batch once, whoever
 * else tried) to the batch's aggregate. A released batch takes nothing: 409.
 */
async function commitIntoBatch(
  q: StoreQueries,
  task: StoredTask,
  batch: number,
  from: Prio3State,
  pick: () => Promise<{ id: string; output: Record<string, string> }[]>,
  released: string,
): Promise<Set<string>> {
  await q.lockTask(task.id);
  const b = await q.getBatch(task.id, batch);
  if (b?.released) throw new HttpError(409, `batch ${batch} of task ${task.id} ${released}.`);
  const rows = await pick();
  const moved = await q.setPrio3States(
    task.id,
    [from],
    rows.map((r) => ({ id: r.id, state: "done" as const, batch, output: null })),
  );
  let aggregate = b?.aggregate ?? null;
  for (const r of rows) if (moved.has(r.id)) aggregate = addOutputs(task.task, aggregate, unflatten(r.output));
  await q.putBatch(task.id, batch, (b?.count ?? 0) + moved.size, aggregate ?? emptyAggregate(task.task.aggregates));
  return moved;
}

function emptyAggregate(aggregates: Aggregate[]): Record<string, string[]> {
  return Object.fromEntries(aggregates.map((a) => [a.id, zeros(vdafFor(a)).map(String)]));
}
const flatten = (o: Record<string, string[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.join(",")]));
const unflatten = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.split(",")]));
