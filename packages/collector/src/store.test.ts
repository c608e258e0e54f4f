// The store on its own: migrations (a schema-2 SQLite file from before them is
// carried forward with its counts; a newer one is refused; processes opening a new
// PostgreSQL database at once migrate it once) and concurrent intake from several
// processes' pools (each report counted once, the same report stored once).
import { test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import pg from "pg";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { parseReport, parseTask, buildReports, taskId } from "@veil/task";
import { ReportStore } from "./store.js";
import { StoreError, StoreUnavailableError } from "./db/sql.js";
import { SCHEMA_VERSION } from "./db/migrations.js";
import { postgresDatabase, storeTest } from "./test-stores.js";
import { feedbackTask, input, withDir } from "./test-pair.js";
import { postgresBinDir } from "./postgres-server.js";

const noPostgres = postgresBinDir() === null && "Debian's postgresql is not installed";

/** The schema collectors wrote before versioned migrations (schema 2), verbatim. */
const SCHEMA_2 = `
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

const RAW = feedbackTask({ aggregates: [] });

test("a schema-2 SQLite file is migrated in place: its reports, counts and sums are kept", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "old.db");
    const old = new Database(file);
    old.exec(SCHEMA_2);
    old.exec("INSERT INTO meta VALUES ('schema', '2')");
    old.exec(`INSERT INTO tasks (id, definition, token_hash, reports) VALUES ('t', '${JSON.stringify(parseTask(RAW))}', 'h', 7)`);
    old.exec("INSERT INTO rr_counts VALUES ('t', 'recommend', 1, 5), ('t', 'recommend', 0, 2)");
    old.exec("INSERT INTO bounded_sums VALUES ('t', 'rating', 7, 100, 1500)");
    old.close();
    const store = await ReportStore.open(file);
    try {
      assert.equal(await store.reportCount("t"), 7);
      assert.equal((await store.getTask("t"))!.reports, 7);
      assert.deepEqual(
        (await store.rrCounts("t")).sort((a, b) => a.value - b.value),
        [
          { question: "recommend", value: 0, n: 2 },
          { question: "recommend", value: 1, n: 5 },
        ],
      );
      assert.deepEqual(await store.boundedSums("t"), [{ question: "rating", n: 7, units: 100, units_sq: 1500 }]);
      assert.deepEqual(await store.driver.get("SELECT value FROM meta WHERE key = 'schema'"), { value: String(SCHEMA_VERSION) });
    } finally {
      await store.close();
    }
  });
});

storeTest("a database from a newer collector is refused with a StoreError that says to upgrade", async (place) => {
  const db = await place.db("newer");
  const store = await ReportStore.open(db);
  await store.driver.run("UPDATE meta SET value = ? WHERE key = 'schema'", [String(SCHEMA_VERSION + 1)]);
  await store.close();
  await assert.rejects(ReportStore.open(db), (e: unknown) => e instanceof StoreError && /newer than this collector's .*upgrade/.test((e as Error).message));
});

test("a file that is not a database, and a database that cannot be reached, are refused with a StoreError saying which", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "notes.txt");
    writeFileSync(file, "these are someone's notes, not a database\n".repeat(100));
    await assert.rejects(
      ReportStore.open(file),
      (e: unknown) => e instanceof StoreError && /notes\.txt cannot be opened: file is not a database/.test((e as Error).message),
    );
    assert.match(readFileSync(file, "utf8"), /^these are someone's notes/, "the file is left as it was");
    const url = `postgres://nobody@/none?host=${encodeURIComponent(join(dir, "no-server"))}&port=5432`;
    await assert.rejects(ReportStore.open(url), (e: unknown) => e instanceof StoreUnavailableError && /PostgreSQL is unavailable/.test((e as Error).message));
  });
});

test("four processes opening a new PostgreSQL database at once migrate it once", { skip: noPostgres }, async () => {
  const url = await postgresDatabase("race");
  const stores = await Promise.all(Array.from({ length: 4 }, () => ReportStore.open(url)));
  try {
    assert.deepEqual(await stores[0]!.driver.all("SELECT key, value FROM meta"), [{ key: "schema", value: String(SCHEMA_VERSION) }]);
    assert.deepEqual(await stores[1]!.taskIds(), []);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

test("two pools storing reports at once on PostgreSQL: each counted once, the same report stored once", { skip: noPostgres }, async () => {
  const url = await postgresDatabase("intake");
  const [a, b] = await Promise.all([ReportStore.open(url), ReportStore.open(url)]);
  try {
    const task = parseTask(RAW);
    const id = await taskId(task);
    await a.addTask(id, task, "h");
    const held = (await a.getTask(id))!;
    const reports = await Promise.all(
      Array.from({ length: 120 }, async (_, i) =>
        parseReport(task, "leader", (await buildReports(task, id, { ...input(), answers: { recommend: i % 2, rating: 2 } })).leader),
      ),
    );
    const results = await Promise.all(reports.flatMap((r) => [a.add(held, r, "d"), b.add(held, r, "d")]));
    assert.equal(results.filter((r) => r.status === "stored").length, 120, "one of each pair stored it");
    assert.equal(results.filter((r) => r.status === "duplicate").length, 120, "the other found it stored");
    assert.equal(await a.reportCount(id), 120);
    const counts = await b.rrCounts(id);
    assert.deepEqual(counts.map((c) => [c.value, c.n]).sort(), [
      [0, 60],
      [1, 60],
    ]);
    const step = (task.questions.find((q) => q.id === "rating") as { step: number }).step;
    const units = 2 / step;
    assert.deepEqual(await b.boundedSums(id), [{ question: "rating", n: 120, units: 120 * units, units_sq: 120 * units * units }]);
  } finally {
    await a.close();
    await b.close();
  }
});

test("SQLite's lock between processes: a live holder's lease is respected, a dead holder's is taken over at once", async () => {
  await withDir(async (dir) => {
    const store = await ReportStore.open(join(dir, "lease.db"));
    try {
      const live = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
      const dead = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
      await once(dead, "exit");
      const lease = (pid: number) =>
        store.driver.run(
          "INSERT INTO leases (name, holder, pid, until) VALUES ('veil:task:t', 'other', ?, ?) ON CONFLICT (name) DO UPDATE SET pid = excluded.pid, until = excluded.until",
          [pid, Date.now() + 60_000],
        );
      try {
        await lease(live.pid!);
        assert.deepEqual(await store.tryWithTaskLock("t", async () => "ran"), { ran: false }, "another live process holds it");
        await lease(dead.pid!);
        assert.deepEqual(await store.tryWithTaskLock("t", async () => "ran"), { ran: true, value: "ran" }, "its holder is gone");
        assert.deepEqual(await store.driver.all("SELECT name FROM leases"), [], "given back after use");
      } finally {
        live.kill();
      }
    } finally {
      await store.close();
    }
  });
});

test("PostgreSQL's lock between processes: held while its connection lives, free once the holder's connection dies", { skip: noPostgres }, async () => {
  const url = await postgresDatabase("locks");
  const store = await ReportStore.open(url);
  const holder = new pg.Client({ connectionString: url });
  holder.on("error", () => undefined); // its session is terminated below, on purpose
  await holder.connect();
  try {
    const pid = (await holder.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;
    await holder.query("SELECT pg_advisory_lock(hashtextextended('veil:task:t', 0))");
    assert.deepEqual(await store.tryWithTaskLock("t", async () => "ran"), { ran: false });
    // The holding process dies: the server ends its session and with it the lock.
    await store.driver.run("SELECT pg_terminate_backend(?::int, 10000)", [pid]); // returns once that backend has exited
    assert.deepEqual(await store.tryWithTaskLock("t", async () => "ran"), { ran: true, value: "ran" });
  } finally {
    await holder.end().catch(() => undefined);
    await store.close();
  }
});
