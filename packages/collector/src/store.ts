// Durable storage in SQLite (better-sqlite3). WAL with synchronous=FULL: a
// report acknowledged with 201 survives a crash or kill -9. Each report is one
// transaction that stores it and updates the aggregates estimates read, so an
// estimate costs the same at 100 or 1,000,000 reports.
//
// What is kept is only what an estimate or a release needs (docs/collection.md):
// no report body, no device identifier, hours instead of times; answers only as
// counts and sums, never per report, so a text cannot be joined to its answers.
import Database from "better-sqlite3";
import { closeSync, chmodSync, existsSync, openSync } from "node:fs";
import type { ParsedReport, Task } from "@veil/task";

const SCHEMA_VERSION = 2;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, definition TEXT NOT NULL, token_hash TEXT NOT NULL, open_batch INTEGER NOT NULL DEFAULT 1, reports INTEGER NOT NULL DEFAULT 0, last_release INTEGER);
CREATE TABLE IF NOT EXISTS reports (task TEXT NOT NULL, id TEXT NOT NULL, digest TEXT NOT NULL, received_hour TEXT NOT NULL, PRIMARY KEY (task, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rr_counts (task TEXT NOT NULL, question TEXT NOT NULL, value INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (task, question, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bounded_sums (task TEXT NOT NULL, question TEXT NOT NULL, n INTEGER NOT NULL, units INTEGER NOT NULL, units_sq INTEGER NOT NULL, PRIMARY KEY (task, question)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS texts (seq INTEGER PRIMARY KEY, task TEXT NOT NULL, received_hour TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS texts_task ON texts (task, seq);
CREATE TABLE IF NOT EXISTS prio3_inputs (task TEXT NOT NULL, id TEXT NOT NULL, shares TEXT NOT NULL, state TEXT NOT NULL, batch INTEGER, output TEXT, received INTEGER NOT NULL, next_try INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (task, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS prio3_state ON prio3_inputs (task, state, received, id);
CREATE TABLE IF NOT EXISTS batches (task TEXT NOT NULL, batch INTEGER NOT NULL, count INTEGER NOT NULL DEFAULT 0, aggregate TEXT, released TEXT, PRIMARY KEY (task, batch)) WITHOUT ROWID;
`;

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

/** The collector's SQLite database: tasks, what reports feed, Prio3 shares and batches (see the top of this file). */
export class ReportStore {
  readonly db: Database.Database;
  readonly #s;

  constructor(path: string) {
    createPrivate(path);
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(SCHEMA);
    for (const suffix of ["-wal", "-shm"]) if (existsSync(path + suffix)) chmodSync(path + suffix, 0o600);
    const version = this.db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
    if (version && Number(version.value) !== SCHEMA_VERSION)
      throw new Error(`${path} has schema version ${version.value}; this collector uses ${SCHEMA_VERSION}. Start a new database file.`);
    this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
    this.#s = this.#prepare();
  }

  #prepare() {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      task: p("SELECT * FROM tasks WHERE id = ?"),
      tasks: p("SELECT id FROM tasks ORDER BY id"),
      insertTask: p("INSERT INTO tasks (id, definition, token_hash) VALUES (?, ?, ?)"),
      report: p("SELECT digest FROM reports WHERE task = ? AND id = ?"),
      insertReport: p("INSERT INTO reports (task, id, digest, received_hour) VALUES (?, ?, ?, ?)"),
      countReport: p("UPDATE tasks SET reports = reports + 1 WHERE id = ?"),
      rr: p("INSERT INTO rr_counts (task, question, value, n) VALUES (?, ?, ?, 1) ON CONFLICT DO UPDATE SET n = n + 1"),
      bounded: p(
        "INSERT INTO bounded_sums (task, question, n, units, units_sq) VALUES (?, ?, 1, ?, ?) ON CONFLICT DO UPDATE SET n = n + 1, units = units + excluded.units, units_sq = units_sq + excluded.units_sq",
      ),
      text: p("INSERT INTO texts (task, received_hour, text) VALUES (?, ?, ?)"),
      prio3: p("INSERT INTO prio3_inputs (task, id, shares, state, received) VALUES (?, ?, ?, 'pending', ?)"),
      rrCounts: p("SELECT question, value, n FROM rr_counts WHERE task = ?"),
      boundedSums: p("SELECT question, n, units, units_sq FROM bounded_sums WHERE task = ?"),
      texts: p("SELECT received_hour, text FROM texts WHERE task = ? ORDER BY seq DESC LIMIT ?"),
      textCount: p("SELECT COUNT(*) AS n FROM texts WHERE task = ?"),
      inputs: p(
        "SELECT * FROM prio3_inputs WHERE task = ? AND state = ? AND next_try <= ? AND (received > ? OR (received = ? AND id > ?)) ORDER BY received, id LIMIT ?",
      ),
      later: p("UPDATE prio3_inputs SET next_try = ? WHERE task = ? AND id = ?"),
      input: p("SELECT * FROM prio3_inputs WHERE task = ? AND id = ?"),
      setState: p("UPDATE prio3_inputs SET state = ?, batch = ?, output = ? WHERE task = ? AND id = ?"),
      stateCounts: p("SELECT state, COUNT(*) AS n FROM prio3_inputs WHERE task = ? GROUP BY state"),
      batch: p("SELECT * FROM batches WHERE task = ? AND batch = ?"),
      batches: p("SELECT * FROM batches WHERE task = ? ORDER BY batch"),
      upsertBatch: p(
        "INSERT INTO batches (task, batch, count, aggregate) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET count = excluded.count, aggregate = excluded.aggregate",
      ),
      release: p("UPDATE batches SET released = ? WHERE task = ? AND batch = ?"),
      openNext: p("UPDATE tasks SET open_batch = open_batch + 1, last_release = ? WHERE id = ?"),
      lastRelease: p("UPDATE tasks SET last_release = ? WHERE id = ?"),
      unmatched: p("UPDATE prio3_inputs SET state = 'unmatched' WHERE task = ? AND state = 'pending' AND received < ?"),
    };
  }

  close(): void {
    this.db.close();
  }

  /** Stores a task and the SHA-256 of its analyst token; refuses a different definition under an existing id. */
  addTask(id: string, task: Task, tokenHash: string): void {
    const existing = this.getTask(id);
    if (existing) {
      if (existing.tokenHash !== tokenHash) throw new Error(`task ${id} is already held here with another analyst token.`);
      return;
    }
    this.#s.insertTask.run(id, JSON.stringify(task), tokenHash);
  }

  getTask(id: string): StoredTask | undefined {
    const r = this.#s.task.get(id) as
      { id: string; definition: string; token_hash: string; open_batch: number; reports: number; last_release: number | null } | undefined;
    return (
      r && {
        id: r.id,
        task: JSON.parse(r.definition) as Task,
        tokenHash: r.token_hash,
        openBatch: r.open_batch,
        reports: r.reports,
        lastRelease: r.last_release,
      }
    );
  }

  taskIds(): string[] {
    return (this.#s.tasks.all() as { id: string }[]).map((r) => r.id);
  }

  /**
   * Stores a report that fits its task, with every aggregate it feeds, in one
   * transaction. The same id again with the same content (a retry after a lost
   * acknowledgement) stores nothing; with other content it is a conflict.
   */
  add(task: StoredTask, report: ParsedReport, digest: string, now = Date.now()): IntakeResult {
    return this.db.transaction((): IntakeResult => {
      const seen = this.#s.report.get(task.id, report.id) as { digest: string } | undefined;
      if (seen) return { status: seen.digest === digest ? "duplicate" : "conflict" };
      const hour = coarseHour(now);
      this.#s.insertReport.run(task.id, report.id, digest, hour);
      this.#s.countReport.run(task.id);
      for (const a of report.answers) {
        const q = task.task.questions.find((x) => x.id === a.question)!;
        if (q.type === "rr") this.#s.rr.run(task.id, q.id, a.value);
        else {
          const units = Math.round(a.value / q.step);
          this.#s.bounded.run(task.id, q.id, units, units * units);
        }
      }
      if (report.text !== undefined) this.#s.text.run(task.id, hour, report.text);
      if (report.prio3.length) {
        const shares = Object.fromEntries(report.prio3.map((p) => [p.aggregate, [b64(p.publicShare), b64(p.inputShare)]]));
        this.#s.prio3.run(task.id, report.id, JSON.stringify(shares), now);
      }
      return { status: "stored" };
    })();
  }

  reportCount(taskId: string): number {
    return this.getTask(taskId)?.reports ?? 0;
  }

  rrCounts(taskId: string): { question: string; value: number; n: number }[] {
    return this.#s.rrCounts.all(taskId) as { question: string; value: number; n: number }[];
  }

  boundedSums(taskId: string): { question: string; n: number; units: number; units_sq: number }[] {
    return this.#s.boundedSums.all(taskId) as { question: string; n: number; units: number; units_sq: number }[];
  }

  texts(taskId: string, limit = 100): { received: string; text: string }[] {
    return (this.#s.texts.all(taskId, limit) as { received_hour: string; text: string }[]).map((r) => ({ received: r.received_hour, text: r.text }));
  }

  textCount(taskId: string): number {
    return (this.#s.textCount.get(taskId) as { n: number }).n;
  }

  /** Inputs in a state, in arrival order, after `after` = [received, id] (exclusive), skipping those told to wait past `now`. */
  prio3Inputs(taskId: string, state: Prio3State, limit: number, after: [number, string] = [-1, ""], now = Number.MAX_SAFE_INTEGER): Prio3Row[] {
    return (this.#s.inputs.all(taskId, state, now, after[0], after[0], after[1], limit) as RawPrio3[]).map(prio3Row);
  }

  /** An input whose other share has not arrived: try it again no sooner than `at` (ms). */
  retryLater(taskId: string, id: string, at: number): void {
    this.#s.later.run(at, taskId, id);
  }

  prio3Input(taskId: string, id: string): Prio3Row | undefined {
    const r = this.#s.input.get(taskId, id) as RawPrio3 | undefined;
    return r && prio3Row(r);
  }

  /** Sets the preparation state of inputs (in one transaction with whatever else `fn` does). */
  setPrio3State(taskId: string, id: string, state: Prio3State, batch: number | null, output: Record<string, string> | null): void {
    this.#s.setState.run(state, batch, output && JSON.stringify(output), taskId, id);
  }

  prio3StateCounts(taskId: string): Partial<Record<Prio3State, number>> {
    return Object.fromEntries((this.#s.stateCounts.all(taskId) as { state: Prio3State; n: number }[]).map((r) => [r.state, r.n]));
  }

  /** Marks pending inputs received before `before` (ms) as unmatched: their other share never arrived. */
  expirePending(taskId: string, before: number): number {
    return this.#s.unmatched.run(taskId, before).changes;
  }

  getBatch(taskId: string, batch: number): BatchRow | undefined {
    const r = this.#s.batch.get(taskId, batch) as RawBatch | undefined;
    return r && batchRow(r);
  }

  batches(taskId: string): BatchRow[] {
    return (this.#s.batches.all(taskId) as RawBatch[]).map(batchRow);
  }

  putBatch(taskId: string, batch: number, count: number, aggregate: Record<string, string[]>): void {
    this.#s.upsertBatch.run(taskId, batch, count, JSON.stringify(aggregate));
  }

  /** Records a batch's release; on the leader the next batch opens. */
  recordRelease(release: Release, now = Date.now()): void {
    this.#s.release.run(JSON.stringify(release), release.task, release.batch);
    if (release.role === "leader") this.#s.openNext.run(now, release.task);
    else this.#s.lastRelease.run(now, release.task);
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
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

/** Creates the database file readable by its owner only (SQLite gives its -wal and -shm files the same mode). */
function createPrivate(path: string): void {
  if (path === ":memory:") return;
  closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
}
