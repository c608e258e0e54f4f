// Durable storage of reports in SQLite (better-sqlite3). The database file is
// created on first start with the schema below; WAL journaling with
// synchronous=FULL means a report acknowledged with 201 survives a crash or a
// kill -9 of the collector. A report is stored in one transaction or not at all.
import Database from "better-sqlite3";
import { addShares, releaseNoisedShare, shareFromString, shareToString } from "@veil/core";
import { ReportError, type Report } from "./schema.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY, received TEXT NOT NULL, form TEXT NOT NULL, ledger_id TEXT NOT NULL, ledger_seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (report_id INTEGER NOT NULL REFERENCES reports(id), question TEXT NOT NULL, type TEXT NOT NULL, k INTEGER, lower REAL, upper REAL, step REAL, epsilon REAL NOT NULL, value REAL NOT NULL, labels TEXT);
CREATE TABLE IF NOT EXISTS texts (report_id INTEGER NOT NULL REFERENCES reports(id), mechanism TEXT NOT NULL, epsilon REAL NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sums (name TEXT PRIMARY KEY, decimals INTEGER NOT NULL, lower REAL NOT NULL, upper REAL NOT NULL, round INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS shares (report_id INTEGER NOT NULL REFERENCES reports(id), sum TEXT NOT NULL, round INTEGER NOT NULL, share TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS releases (sum TEXT NOT NULL, round INTEGER NOT NULL, count INTEGER NOT NULL, epsilon REAL NOT NULL, servers INTEGER NOT NULL, released TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (sum, round));
CREATE INDEX IF NOT EXISTS answers_q ON answers(question);
`;

/** The answers to one question with one configuration (same k or bounds, same epsilon): what one estimate is made from. */
export interface AnswerGroup {
  question: string;
  type: string;
  k: number | null;
  lower: number | null;
  upper: number | null;
  step: number | null;
  epsilon: number;
  labels: string | null;
  values: number[];
}

export interface SumRelease {
  sum: string;
  round: number;
  count: number;
  epsilon: number;
  servers: number;
  decimals: number;
  lower: number;
  upper: number;
  /** This server's share sum plus its noise share, mod 2^64, as a decimal string. */
  released: string;
  at: string;
}

export class ReportStore {
  readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("foreign_keys = ON");
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /** Stores a validated report; returns its id. */
  add(report: Report): number {
    return this.db.transaction((r: Report) => {
      const info = this.db
        .prepare("INSERT INTO reports (received, form, ledger_id, ledger_seq, body) VALUES (?, ?, ?, ?, ?)")
        .run(new Date().toISOString(), r.form, r.ledger.id, r.ledger.seq, JSON.stringify(r));
      const id = Number(info.lastInsertRowid);
      const ans = this.db.prepare(
        "INSERT INTO answers (report_id, question, type, k, lower, upper, step, epsilon, value, labels) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      );
      for (const a of r.answers ?? []) {
        if (a.type === "rr") ans.run(id, a.question, a.type, a.k, null, null, null, a.epsilon, a.value, a.labels ? JSON.stringify(a.labels) : null);
        else ans.run(id, a.question, a.type, null, a.lower, a.upper, a.step, a.epsilon, a.value, null);
      }
      if (r.text)
        this.db.prepare("INSERT INTO texts (report_id, mechanism, epsilon, text) VALUES (?, ?, ?, ?)").run(id, r.text.mechanism, r.text.epsilon, r.text.value);
      for (const s of r.shares ?? []) {
        const cfg = this.sumConfig(s.sum);
        if (!cfg) this.db.prepare("INSERT INTO sums (name, decimals, lower, upper) VALUES (?, ?, ?, ?)").run(s.sum, s.decimals, s.lower, s.upper);
        else if (cfg.decimals !== s.decimals || cfg.lower !== s.lower || cfg.upper !== s.upper)
          throw new ReportError(422, `sum ${s.sum} is collected with decimals ${cfg.decimals} in [${cfg.lower}, ${cfg.upper}]; this share says otherwise.`);
        this.db.prepare("INSERT INTO shares (report_id, sum, round, share) VALUES (?, ?, ?, ?)").run(id, s.sum, cfg?.round ?? 1, s.share);
      }
      return id;
    })(report);
  }

  /** How a secret-shared sum is collected (fixed by its first share) and its open round. */
  private sumConfig(name: string): { decimals: number; lower: number; upper: number; round: number } | undefined {
    return this.db.prepare("SELECT decimals, lower, upper, round FROM sums WHERE name = ?").get(name) as
      { decimals: number; lower: number; upper: number; round: number } | undefined;
  }

  reportCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM reports").get() as { n: number }).n;
  }

  texts(limit = 100): { received: string; mechanism: string; epsilon: number; text: string }[] {
    return this.db
      .prepare("SELECT r.received, t.mechanism, t.epsilon, t.text FROM texts t JOIN reports r ON r.id = t.report_id ORDER BY r.id DESC LIMIT ?")
      .all(limit) as { received: string; mechanism: string; epsilon: number; text: string }[];
  }

  answerGroups(): AnswerGroup[] {
    const rows = this.db
      .prepare(
        "SELECT question, type, k, lower, upper, step, epsilon, MAX(labels) AS labels, json_group_array(value) AS vals FROM answers GROUP BY question, type, k, lower, upper, step, epsilon ORDER BY question",
      )
      .all() as (Omit<AnswerGroup, "values"> & { vals: string })[];
    return rows.map(({ vals, ...r }) => ({ ...r, values: JSON.parse(vals) as number[] }));
  }

  /**
   * Closes the current round of a secret-shared sum: adds this server's shares,
   * adds one noise share (drawn here, stored, never drawn again for this round)
   * and returns the result. Another round starts for later shares, so noise is
   * never re-drawn over the same data.
   */
  releaseSum(sum: string, epsilon: number, servers: number): SumRelease {
    return this.db.transaction(() => {
      const cfg = this.sumConfig(sum);
      if (!cfg) throw new ReportError(404, `no shares of a sum named ${sum} have been received.`);
      const shares = this.db.prepare("SELECT share FROM shares WHERE sum = ? AND round = ?").all(sum, cfg.round) as { share: string }[];
      if (shares.length === 0) throw new ReportError(409, `sum ${sum} has no new shares since round ${cfg.round - 1} was released.`);
      const total = addShares(...shares.map((s) => shareFromString(s.share)));
      const sensitivity = (cfg.upper - cfg.lower) * 10 ** cfg.decimals;
      const released = shareToString(releaseNoisedShare(total, { epsilon, sensitivity, servers }));
      const at = new Date().toISOString();
      this.db
        .prepare("INSERT INTO releases (sum, round, count, epsilon, servers, released, at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .run(sum, cfg.round, shares.length, epsilon, servers, released, at);
      this.db.prepare("UPDATE sums SET round = round + 1 WHERE name = ?").run(sum);
      return { sum, round: cfg.round, count: shares.length, epsilon, servers, decimals: cfg.decimals, lower: cfg.lower, upper: cfg.upper, released, at };
    })();
  }

  sums(): { name: string; round: number; pending: number; releases: SumRelease[] }[] {
    const cfgs = this.db.prepare("SELECT name, decimals, lower, upper, round FROM sums ORDER BY name").all() as {
      name: string;
      decimals: number;
      lower: number;
      upper: number;
      round: number;
    }[];
    return cfgs.map((c) => ({
      name: c.name,
      round: c.round,
      pending: (this.db.prepare("SELECT COUNT(*) AS n FROM shares WHERE sum = ? AND round = ?").get(c.name, c.round) as { n: number }).n,
      releases: (this.db.prepare("SELECT * FROM releases WHERE sum = ? ORDER BY round").all(c.name) as Omit<SumRelease, "decimals" | "lower" | "upper">[]).map(
        (r) => ({
          ...r,
          decimals: c.decimals,
          lower: c.lower,
          upper: c.upper,
        }),
      ),
    }));
  }
}
