// The collector's storage: what it keeps and the transactions that keep it
// consistent, on either database (./db: SQLite, the embedded default, or
// PostgreSQL for several collector processes). Each report is one transaction
// that stores it and updates the aggregates estimates read, so an estimate costs
// the same at 100 or 1,000,000 reports. Counters are split in SHARDS rows each, so
// concurrent reports rarely wait on the same row (PostgreSQL holds a row's lock
// until commit); a read sums the shards.
//
// What is kept is only what an estimate or a release needs (docs/collection.md):
// no report body, no device identifier, hours instead of times; answers only as
// counts and sums, never per report, so a text cannot be joined to its answers.
import type { ParsedReport, Task } from "@veil/task";
import { migrate } from "./db/migrations.js";
import { PostgresDriver, isPostgresUrl } from "./db/postgres.js";
import { SqliteDriver } from "./db/sqlite.js";
import { StoreError, StoreUnavailableError, type Dialect, type Driver, type Sql } from "./db/sql.js";

/** The states a Prio3 input never leaves; reaching one deletes its shares (SQL list). */
const FINAL_STATES = "('done', 'invalid', 'unmatched')";

/** Rows per counter: enough that a few processes' concurrent reports seldom meet on one. */
const SHARDS = 16;
let lastShard = 0;
const nextShard = () => (lastShard = (lastShard + 1) % SHARDS);

/** insertReport's rows in one PostgreSQL statement: nothing but the report's insert happens when its id is already stored. */
const INTAKE_POSTGRES = `
WITH ins AS (
  INSERT INTO reports (task, id, digest, received_hour) VALUES (?, ?, ?, ?) ON CONFLICT (task, id) DO NOTHING RETURNING task, id, received_hour
), shard AS (SELECT ?::int AS s),
counted AS (
  INSERT INTO report_counts (task, shard, n) SELECT ins.task, shard.s, 1 FROM ins, shard
  ON CONFLICT (task, shard) DO UPDATE SET n = report_counts.n + 1
), rr AS (
  INSERT INTO rr_counts (task, question, value, shard, n) SELECT ins.task, a.q, a.v, shard.s, 1 FROM ins, shard, unnest(?::text[], ?::int[]) AS a(q, v)
  ON CONFLICT (task, question, value, shard) DO UPDATE SET n = rr_counts.n + 1
), bounded AS (
  INSERT INTO bounded_sums (task, question, shard, n, units, units_sq) SELECT ins.task, a.q, shard.s, 1, a.u, a.u * a.u FROM ins, shard, unnest(?::text[], ?::bigint[]) AS a(q, u)
  ON CONFLICT (task, question, shard) DO UPDATE SET n = bounded_sums.n + 1, units = bounded_sums.units + excluded.units, units_sq = bounded_sums.units_sq + excluded.units_sq
), text AS (SELECT ?::text AS t), texted AS (
  INSERT INTO texts (task, received_hour, text) SELECT ins.task, ins.received_hour, text.t FROM ins, text WHERE text.t IS NOT NULL
), prio3 AS (SELECT ?::text AS shares, ?::bigint AS received), shared AS (
  INSERT INTO prio3_inputs (task, id, shares, state, received) SELECT ins.task, ins.id, prio3.shares, 'pending', prio3.received FROM ins, prio3 WHERE prio3.shares IS NOT NULL
)
SELECT COUNT(*)::int AS stored FROM ins`;

/** A task as this collector holds it. */
export interface StoredTask {
  id: string;
  task: Task;
  tokenHash: string;
  openBatch: number;
  reports: number;
  lastRelease: number | null;
}

/** A Prio3 input held for preparation. `shares` maps an aggregate to [public share, input share], base64. */
export interface Prio3Row {
  id: string;
  shares: Record<string, [string, string]>;
  state: Prio3State;
  batch: number | null;
  /** This collector's output share per aggregate (base64 field elements), once the proof verified. */
  output: Record<string, string> | null;
  received: number;
}

/** A state change of one Prio3 input: its new state, batch and output shares. */
export interface Prio3Change {
  id: string;
  state: Prio3State;
  batch: number | null;
  output: Record<string, string> | null;
}

/**
 * pending: waiting for preparation. prepared (helper): proof verified, waiting
 * for the leader's commit. committing (leader): verified by both, sent for
 * commit into `batch`. done: in `batch`'s aggregate. invalid: the proof failed.
 * unmatched (leader): the helper never got its share.
 */
export type Prio3State = "pending" | "prepared" | "committing" | "done" | "invalid" | "unmatched";

/** A batch of one task: its count of valid reports, its aggregate shares, and its release once made. */
export interface BatchRow {
  batch: number;
  count: number;
  /** Aggregate share per aggregate: JSON array of decimal field elements. */
  aggregate: Record<string, string[]> | null;
  released: Release | null;
}

/** What a collector releases for one batch: its aggregate shares, each with its noise share added (field elements, base64). */
export interface Release {
  task: string;
  batch: number;
  count: number;
  role: "leader" | "helper";
  /** Each aggregate's epsilon, from the task. */
  epsilon: Record<string, number>;
  shares: Record<string, string>;
  /** The hour of release. */
  at: string;
}

/** The hour a report was received, e.g. "2026-12-01T19:00Z": finer times could link reports to devices. */
export function coarseHour(now = Date.now()): string {
  return `${new Date(now).toISOString().slice(0, 13)}:00Z`;
}

/** What storing a report did: stored, nothing (the same report again), or refused (the same id, other content). */
export type IntakeResult = { status: "stored" } | { status: "duplicate" } | { status: "conflict" };

/** The statements of the store, on one connection or inside one transaction. */
export class StoreQueries {
  constructor(
    protected readonly sql: Sql,
    readonly dialect: Dialect,
  ) {}

  /** Stores a task and the SHA-256 of its analyst token; refuses another token under an existing id (the id is the definition's hash). */
  async addTask(id: string, task: Task, tokenHash: string): Promise<void> {
    await this.sql.run("INSERT INTO tasks (id, definition, token_hash) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING", [id, JSON.stringify(task), tokenHash]);
    const held = await this.getTask(id);
    if (held!.tokenHash !== tokenHash) throw new Error(`task ${id} is already held here with another analyst token.`);
  }

  async getTask(id: string): Promise<StoredTask | undefined> {
    const r = await this.sql.get<{
      id: string;
      definition: string;
      token_hash: string;
      open_batch: number;
      last_release: number | null;
      reports: number | null;
    }>(
      "SELECT id, definition, token_hash, open_batch, last_release, (SELECT SUM(n) FROM report_counts WHERE task = tasks.id) AS reports FROM tasks WHERE id = ?",
      [id],
    );
    return (
      r && {
        id: r.id,
        task: JSON.parse(r.definition) as Task,
        tokenHash: r.token_hash,
        openBatch: r.open_batch,
        reports: r.reports ?? 0,
        lastRelease: r.last_release,
      }
    );
  }

  /**
   * Takes the task's row lock until the transaction ends (PostgreSQL; SQLite's
   * transactions already hold the file's write lock), so batch commits and
   * releases of one task run one at a time across processes. Returns the task as
   * it is now.
   */
  async lockTask(id: string): Promise<StoredTask | undefined> {
    if (this.dialect === "postgres") await this.sql.run("SELECT id FROM tasks WHERE id = ? FOR UPDATE", [id]);
    return this.getTask(id);
  }

  async taskIds(): Promise<string[]> {
    return (await this.sql.all<{ id: string }>("SELECT id FROM tasks ORDER BY id")).map((r) => r.id);
  }

  /**
   * Stores a report that fits its task, with every aggregate it feeds (call it
   * inside a transaction: ReportStore.add does). The same id again with the same
   * content (a retry after a lost acknowledgement) stores nothing; with other
   * content it is a conflict. Two processes given the same report at once store
   * it once: the second insert waits for the first and then changes nothing.
   */
  async insertReport(task: StoredTask, report: ParsedReport, digest: string, now = Date.now()): Promise<IntakeResult> {
    if (this.dialect === "postgres") return this.#insertReportInOneStatement(task, report, digest, now);
    const hour = coarseHour(now);
    const inserted = await this.sql.run("INSERT INTO reports (task, id, digest, received_hour) VALUES (?, ?, ?, ?) ON CONFLICT (task, id) DO NOTHING", [
      task.id,
      report.id,
      digest,
      hour,
    ]);
    if (inserted === 0) return this.#seenBefore(task.id, report.id, digest);
    const shard = nextShard();
    await this.sql.run("INSERT INTO report_counts (task, shard, n) VALUES (?, ?, 1) ON CONFLICT (task, shard) DO UPDATE SET n = report_counts.n + 1", [
      task.id,
      shard,
    ]);
    const { rr, bounded } = answerRows(task, report);
    for (const [i, question] of rr[0].entries())
      await this.sql.run(
        "INSERT INTO rr_counts (task, question, value, shard, n) VALUES (?, ?, ?, ?, 1) ON CONFLICT (task, question, value, shard) DO UPDATE SET n = rr_counts.n + 1",
        [task.id, question, rr[1][i], shard],
      );
    for (const [i, question] of bounded[0].entries()) {
      const units = bounded[1][i]!;
      await this.sql.run(
        "INSERT INTO bounded_sums (task, question, shard, n, units, units_sq) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (task, question, shard) DO UPDATE SET n = bounded_sums.n + 1, units = bounded_sums.units + excluded.units, units_sq = bounded_sums.units_sq + excluded.units_sq",
        [task.id, question, shard, units, units * units],
      );
    }
    if (report.text !== undefined) await this.sql.run("INSERT INTO texts (task, received_hour, text) VALUES (?, ?, ?)", [task.id, hour, report.text]);
    const shares = sharesJson(report);
    if (shares !== null)
      await this.sql.run("INSERT INTO prio3_inputs (task, id, shares, state, received) VALUES (?, ?, ?, 'pending', ?)", [task.id, report.id, shares, now]);
    return { status: "stored" };
  }

  /** A report id already stored: the same report again (a retry), or other content under its id. */
  async #seenBefore(taskId: string, id: string, digest: string): Promise<IntakeResult> {
    const seen = await this.sql.get<{ digest: string }>("SELECT digest FROM reports WHERE task = ? AND id = ?", [taskId, id]);
    return { status: seen?.digest === digest ? "duplicate" : "conflict" };
  }

  /**
   * insertReport on PostgreSQL: the same rows in one statement (data-modifying
   * CTEs that all hang on the report's own insert), so a report costs one round
   * trip and, on its own, one implicit transaction.
   */
  async #insertReportInOneStatement(task: StoredTask, report: ParsedReport, digest: string, now: number): Promise<IntakeResult> {
    const { rr, bounded } = answerRows(task, report);
    const row = await this.sql.get<{ stored: number }>(INTAKE_POSTGRES, [
      task.id,
      report.id,
      digest,
      coarseHour(now),
      nextShard(),
      ...rr,
      ...bounded,
      report.text ?? null,
      sharesJson(report),
      now,
    ]);
    return row!.stored === 1 ? { status: "stored" } : this.#seenBefore(task.id, report.id, digest);
  }

  async reportCount(taskId: string): Promise<number> {
    return (await this.sql.get<{ n: number | null }>("SELECT SUM(n) AS n FROM report_counts WHERE task = ?", [taskId]))?.n ?? 0;
  }

  /** The ids of the reports stored for a task (random per report; what an operator checks against acknowledgements). */
  async reportIds(taskId: string): Promise<string[]> {
    return (await this.sql.all<{ id: string }>("SELECT id FROM reports WHERE task = ?", [taskId])).map((r) => r.id);
  }

  rrCounts(taskId: string): Promise<{ question: string; value: number; n: number }[]> {
    return this.sql.all("SELECT question, value, SUM(n) AS n FROM rr_counts WHERE task = ? GROUP BY question, value", [taskId]);
  }

  boundedSums(taskId: string): Promise<{ question: string; n: number; units: number; units_sq: number }[]> {
    return this.sql.all("SELECT question, SUM(n) AS n, SUM(units) AS units, SUM(units_sq) AS units_sq FROM bounded_sums WHERE task = ? GROUP BY question", [
      taskId,
    ]);
  }

  async texts(taskId: string, limit = 100): Promise<{ received: string; text: string }[]> {
    const rows = await this.sql.all<{ received_hour: string; text: string }>("SELECT received_hour, text FROM texts WHERE task = ? ORDER BY seq DESC LIMIT ?", [
      taskId,
      limit,
    ]);
    return rows.map((r) => ({ received: r.received_hour, text: r.text }));
  }

  async textCount(taskId: string): Promise<number> {
    return (await this.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM texts WHERE task = ?", [taskId]))!.n;
  }

  /** Inputs in a state, in arrival order, after `after` = [received, id] (exclusive), skipping those told to wait past `now`. */
  async prio3Inputs(taskId: string, state: Prio3State, limit: number, after: [number, string] = [-1, ""], now = Number.MAX_SAFE_INTEGER): Promise<Prio3Row[]> {
    const rows = await this.sql.all<RawPrio3>(
      "SELECT * FROM prio3_inputs WHERE task = ? AND state = ? AND next_try <= ? AND (received > ? OR (received = ? AND id > ?)) ORDER BY received, id LIMIT ?",
      [taskId, state, now, after[0], after[0], after[1], limit],
    );
    return rows.map(prio3Row);
  }

  /** Inputs whose other share has not arrived: try them again no sooner than `at` (ms). */
  async retryLater(taskId: string, ids: readonly string[], at: number): Promise<void> {
    if (ids.length === 0) return;
    if (this.dialect === "postgres") await this.sql.run("UPDATE prio3_inputs SET next_try = ? WHERE task = ? AND id = ANY(?::text[])", [at, taskId, ids]);
    else for (const id of ids) await this.sql.run("UPDATE prio3_inputs SET next_try = ? WHERE task = ? AND id = ?", [at, taskId, id]);
  }

  /** The inputs among `ids` that are held, by id (one statement on PostgreSQL). */
  async prio3InputsById(taskId: string, ids: readonly string[]): Promise<Map<string, Prio3Row>> {
    const out = new Map<string, Prio3Row>();
    if (this.dialect === "postgres")
      for (const r of await this.sql.all<RawPrio3>("SELECT * FROM prio3_inputs WHERE task = ? AND id = ANY(?::text[])", [taskId, ids]))
        out.set(r.id, prio3Row(r));
    else
      for (const id of ids) {
        const r = await this.sql.get<RawPrio3>("SELECT * FROM prio3_inputs WHERE task = ? AND id = ?", [taskId, id]);
        if (r) out.set(id, prio3Row(r));
      }
    return out;
  }

  /**
   * Moves each input in `changes` to its new state if it is now in one of
   * `from` (a process that lost a race changes nothing); returns the ids that
   * moved. An input that reaches a final state (done, invalid, unmatched) loses
   * its shares: the batch's aggregate holds what counted, and nothing else needs
   * them. One statement on PostgreSQL, whatever the number of inputs.
   */
  async setPrio3States(taskId: string, from: readonly Prio3State[], changes: readonly Prio3Change[]): Promise<Set<string>> {
    if (changes.length === 0) return new Set();
    const output = (c: Prio3Change) => c.output && JSON.stringify(c.output);
    if (this.dialect === "postgres") {
      const rows = await this.sql.all<{ id: string }>(
        `UPDATE prio3_inputs AS p SET state = u.state, batch = u.batch, output = u.output, shares = CASE WHEN u.state IN ${FINAL_STATES} THEN '{}' ELSE p.shares END FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[]) AS u(id, state, batch, output) WHERE p.task = ? AND p.id = u.id AND p.state = ANY(?::text[]) RETURNING p.id`,
        [changes.map((c) => c.id), changes.map((c) => c.state), changes.map((c) => c.batch), changes.map(output), taskId, from],
      );
      return new Set(rows.map((r) => r.id));
    }
    const moved = new Set<string>();
    const marks = from.map(() => "?").join(", ");
    for (const c of changes) {
      const sql = `UPDATE prio3_inputs SET state = ?, batch = ?, output = ?, shares = CASE WHEN ? IN ${FINAL_STATES} THEN '{}' ELSE shares END WHERE task = ? AND id = ? AND state IN (${marks})`;
      if ((await this.sql.run(sql, [c.state, c.batch, output(c), c.state, taskId, c.id, ...from])) === 1) moved.add(c.id);
    }
    return moved;
  }

  async prio3StateCounts(taskId: string): Promise<Partial<Record<Prio3State, number>>> {
    const rows = await this.sql.all<{ state: Prio3State; n: number }>("SELECT state, COUNT(*) AS n FROM prio3_inputs WHERE task = ? GROUP BY state", [taskId]);
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  async getBatch(taskId: string, batch: number): Promise<BatchRow | undefined> {
    const r = await this.sql.get<RawBatch>("SELECT * FROM batches WHERE task = ? AND batch = ?", [taskId, batch]);
    return r && batchRow(r);
  }

  async batches(taskId: string): Promise<BatchRow[]> {
    return (await this.sql.all<RawBatch>("SELECT * FROM batches WHERE task = ? ORDER BY batch", [taskId])).map(batchRow);
  }

  async putBatch(taskId: string, batch: number, count: number, aggregate: Record<string, string[]>): Promise<void> {
    await this.sql.run(
      "INSERT INTO batches (task, batch, count, aggregate) VALUES (?, ?, ?, ?) ON CONFLICT (task, batch) DO UPDATE SET count = excluded.count, aggregate = excluded.aggregate",
      [taskId, batch, count, JSON.stringify(aggregate)],
    );
  }

  /** Records a batch's release; on the leader the next batch opens. */
  async recordRelease(release: Release, now = Date.now()): Promise<void> {
    await this.sql.run("UPDATE batches SET released = ? WHERE task = ? AND batch = ?", [JSON.stringify(release), release.task, release.batch]);
    if (release.role === "leader") await this.sql.run("UPDATE tasks SET open_batch = open_batch + 1, last_release = ? WHERE id = ?", [now, release.task]);
    else await this.sql.run("UPDATE tasks SET last_release = ? WHERE id = ?", [now, release.task]);
  }
}

/** The collector's database: tasks, what reports feed, Prio3 shares and batches (see the top of this file). */
export class ReportStore extends StoreQueries {
  private constructor(readonly driver: Driver) {
    super(driver, driver.dialect);
  }

  /**
   * Opens (creating and migrating as needed) the database `db` names: a
   * postgres:// or postgresql:// connection string, else a SQLite file path
   * (created readable by its owner only).
   */
  static async open(db: string): Promise<ReportStore> {
    let driver: Driver;
    try {
      driver = isPostgresUrl(db) ? new PostgresDriver(db) : new SqliteDriver(db);
    } catch (e) {
      throw new StoreError(`${isPostgresUrl(db) ? "the PostgreSQL URL" : db} cannot be opened: ${(e as Error).message}`);
    }
    try {
      await migrate(driver);
    } catch (e) {
      await driver.close().catch(() => undefined);
      if (e instanceof StoreError || e instanceof StoreUnavailableError) throw e;
      throw new StoreError(`${driver.description} cannot be opened as a collector's database: ${(e as Error).message}`);
    }
    return new ReportStore(driver);
  }

  /** Where this store is, for logs (no credentials). */
  get description(): string {
    return this.driver.description;
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  /** Stores a report with every aggregate it feeds, in one transaction (see insertReport; on PostgreSQL one statement is one). */
  add(task: StoredTask, report: ParsedReport, digest: string, now = Date.now()): Promise<IntakeResult> {
    if (this.dialect === "postgres") return this.insertReport(task, report, digest, now);
    return this.transaction((q) => q.insertReport(task, report, digest, now));
  }

  /** Runs `fn` in one transaction (on PostgreSQL, retried when the server aborts it for a conflict). */
  transaction<T>(fn: (q: StoreQueries) => Promise<T>): Promise<T> {
    return this.driver.transaction((tx) => fn(new StoreQueries(tx, this.dialect)));
  }

  /** Runs `fn` if no other process holds the task's lock now; else runs nothing and says so. */
  tryWithTaskLock<T>(taskId: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    return this.driver.tryWithLock(`veil:task:${taskId}`, fn);
  }

  /** Runs `fn` while no other process on this database runs anything under the same task's lock (preparation, releases). */
  withTaskLock<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
    return this.driver.withLock(`veil:task:${taskId}`, fn);
  }
}

interface RawPrio3 {
  id: string;
  shares: string;
  state: Prio3State;
  batch: number | null;
  output: string | null;
  received: number;
}
const prio3Row = (r: RawPrio3): Prio3Row => ({
  id: r.id,
  shares: JSON.parse(r.shares) as Record<string, [string, string]>,
  state: r.state,
  batch: r.batch,
  output: r.output ? (JSON.parse(r.output) as Record<string, string>) : null,
  received: r.received,
});

interface RawBatch {
  batch: number;
  count: number;
  aggregate: string | null;
  released: string | null;
}
const batchRow = (r: RawBatch): BatchRow => ({
  batch: r.batch,
  count: r.count,
  aggregate: r.aggregate ? (JSON.parse(r.aggregate) as Record<string, string[]>) : null,
  released: r.released ? (JSON.parse(r.released) as Release) : null,
});

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** A report's answers as the rows they feed: [questions, values] for randomized response, [questions, grid units] for bounded numbers. */
function answerRows(task: StoredTask, report: ParsedReport): { rr: [string[], number[]]; bounded: [string[], number[]] } {
  const rr: [string[], number[]] = [[], []];
  const bounded: [string[], number[]] = [[], []];
  for (const a of report.answers) {
    const q = task.task.questions.find((x) => x.id === a.question)!;
    if (q.type === "rr") (rr[0].push(q.id), rr[1].push(a.value));
    else (bounded[0].push(q.id), bounded[1].push(Math.round(a.value / q.step)));
  }
  return { rr, bounded };
}

/** The Prio3 shares a report holds, as stored (aggregate -> [public share, input share], base64), or null when it has none. */
function sharesJson(report: ParsedReport): string | null {
  return report.prio3.length ? JSON.stringify(Object.fromEntries(report.prio3.map((p) => [p.aggregate, [b64(p.publicShare), b64(p.inputShare)]]))) : null;
}
