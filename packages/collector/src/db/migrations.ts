// The collector's schema, as numbered migrations that run in order, in one
// transaction, on SQLite and PostgreSQL alike (the few type names that differ are
// filled in per dialect). meta.schema holds the version a database is at; opening
// an older one migrates it, a newer one is refused.
import { StoreError, type Dialect, type Driver, type Sql } from "./sql.js";

interface Migration {
  version: number;
  what: string;
  statements: string[];
}

/** Dialect words: `${ROWLESS}` after a table with a primary key, `${SERIAL}` for an increasing key, `${BIG}` for 64-bit integers. */
const WORDS: Record<Dialect, Record<string, string>> = {
  sqlite: { ROWLESS: " WITHOUT ROWID", SERIAL: "INTEGER PRIMARY KEY", BIG: "INTEGER" },
  postgres: { ROWLESS: "", SERIAL: "BIGSERIAL PRIMARY KEY", BIG: "BIGINT" },
};

const MIGRATIONS: Migration[] = [
  {
    version: 2,
    what: "tasks, reports, counts and sums per question, texts, Prio3 inputs and batches (the schema before versioned migrations)",
    statements: [
      "CREATE TABLE tasks (id TEXT PRIMARY KEY, definition TEXT NOT NULL, token_hash TEXT NOT NULL, open_batch ${BIG} NOT NULL DEFAULT 1, reports ${BIG} NOT NULL DEFAULT 0, last_release ${BIG})",
      "CREATE TABLE reports (task TEXT NOT NULL, id TEXT NOT NULL, digest TEXT NOT NULL, received_hour TEXT NOT NULL, PRIMARY KEY (task, id))${ROWLESS}",
      "CREATE TABLE rr_counts (task TEXT NOT NULL, question TEXT NOT NULL, value INTEGER NOT NULL, n ${BIG} NOT NULL, PRIMARY KEY (task, question, value))${ROWLESS}",
      "CREATE TABLE bounded_sums (task TEXT NOT NULL, question TEXT NOT NULL, n ${BIG} NOT NULL, units ${BIG} NOT NULL, units_sq ${BIG} NOT NULL, PRIMARY KEY (task, question))${ROWLESS}",
      "CREATE TABLE texts (seq ${SERIAL}, task TEXT NOT NULL, received_hour TEXT NOT NULL, text TEXT NOT NULL)",
      "CREATE INDEX texts_task ON texts (task, seq)",
      "CREATE TABLE prio3_inputs (task TEXT NOT NULL, id TEXT NOT NULL, shares TEXT NOT NULL, state TEXT NOT NULL, batch ${BIG}, output TEXT, received ${BIG} NOT NULL, next_try ${BIG} NOT NULL DEFAULT 0, PRIMARY KEY (task, id))${ROWLESS}",
      "CREATE INDEX prio3_state ON prio3_inputs (task, state, received, id)",
      "CREATE TABLE batches (task TEXT NOT NULL, batch ${BIG} NOT NULL, count ${BIG} NOT NULL DEFAULT 0, aggregate TEXT, released TEXT, PRIMARY KEY (task, batch))${ROWLESS}",
    ],
  },
  {
    version: 3,
    what: "counters split in shards (so concurrent reports do not all wait on one row), and leases for locks between processes",
    statements: [
      "CREATE TABLE report_counts (task TEXT NOT NULL, shard INTEGER NOT NULL, n ${BIG} NOT NULL, PRIMARY KEY (task, shard))${ROWLESS}",
      "INSERT INTO report_counts (task, shard, n) SELECT id, 0, reports FROM tasks WHERE reports > 0",
      "ALTER TABLE tasks DROP COLUMN reports",
      "CREATE TABLE rr_counts_3 (task TEXT NOT NULL, question TEXT NOT NULL, value INTEGER NOT NULL, shard INTEGER NOT NULL, n ${BIG} NOT NULL, PRIMARY KEY (task, question, value, shard))${ROWLESS}",
      "INSERT INTO rr_counts_3 (task, question, value, shard, n) SELECT task, question, value, 0, n FROM rr_counts",
      "DROP TABLE rr_counts",
      "ALTER TABLE rr_counts_3 RENAME TO rr_counts",
      "CREATE TABLE bounded_sums_3 (task TEXT NOT NULL, question TEXT NOT NULL, shard INTEGER NOT NULL, n ${BIG} NOT NULL, units ${BIG} NOT NULL, units_sq ${BIG} NOT NULL, PRIMARY KEY (task, question, shard))${ROWLESS}",
      "INSERT INTO bounded_sums_3 (task, question, shard, n, units, units_sq) SELECT task, question, 0, n, units, units_sq FROM bounded_sums",
      "DROP TABLE bounded_sums",
      "ALTER TABLE bounded_sums_3 RENAME TO bounded_sums",
      "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, pid INTEGER NOT NULL, until ${BIG} NOT NULL)",
    ],
  },
];

/** The schema version this collector writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** A migration's statements in a dialect. */
function statementsFor(m: { statements: string[] }, dialect: Dialect): string[] {
  return m.statements.map((s) => s.replace(/\$\{(\w+)\}/g, (_, w: string) => WORDS[dialect][w]!));
}

/** Brings a database to SCHEMA_VERSION; returns the versions it applied. Two processes starting at once migrate once. */
export async function migrate(driver: Driver): Promise<number[]> {
  return driver.transaction(async (tx) => {
    // SQLite: BEGIN IMMEDIATE already holds the file's write lock. PostgreSQL: a lock held to the end of this transaction.
    if (driver.dialect === "postgres") await tx.run("SELECT pg_advisory_xact_lock(hashtextextended('veil:migrate', 0))");
    await tx.run("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const at = await currentVersion(tx, driver.description);
    const applied: number[] = [];
    for (const m of MIGRATIONS.filter((x) => x.version > at)) {
      for (const s of statementsFor(m, driver.dialect)) await tx.run(s);
      applied.push(m.version);
    }
    if (applied.length)
      await tx.run("INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(SCHEMA_VERSION)]);
    return applied;
  });
}

async function currentVersion(tx: Sql, where: string): Promise<number> {
  const row = await tx.get<{ value: string }>("SELECT value FROM meta WHERE key = 'schema'");
  const at = row ? Number(row.value) : 0;
  if (at > SCHEMA_VERSION) throw new StoreError(`${where} has schema version ${at}, newer than this collector's ${SCHEMA_VERSION}: upgrade the collector.`);
  if (at !== 0 && at < MIGRATIONS[0]!.version) throw new StoreError(`${where} has schema version ${at}, from before migrations existed: start a new database.`);
  return at;
}
