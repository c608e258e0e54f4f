// `pnpm bench:collector`, beyond one process: intake with 1, 2 and 4 collector
// processes (`serve --workers N`) on SQLite and on PostgreSQL; on PostgreSQL with
// two processes, SIGKILL of one under load (acknowledged against found) and ten
// releases at once; and the analyst's views at 1M stored reports on PostgreSQL.
import pg from "pg";
import type { Task, WireReport } from "@veil/task";
import { ReportStore, coarseHour } from "./store.js";
import { startPostgres, type PostgresServer } from "./postgres-server.js";
import { ReportLoad, analyst, serveProcess as serve } from "./test-pair.js";
import { TOKEN, benchInput, intake, prepared, stop, timeGet } from "./bench-load.js";
import { treeCpuSeconds } from "./cpu-time.js";
import type { StoreKind } from "./test-stores.js";

/** One intake measurement: a store, a number of leader processes, and what the load generator saw. */
export interface ScaleRow {
  store: StoreKind;
  processes: number;
  perSecond: number;
  p50: number;
  p99: number;
  refused: number;
  /** Bytes of the leader's database per report stored, once its reports are prepared (PostgreSQL only: pg_database_size). */
  bytesPerReport: number | null;
  /** CPU milliseconds per report during the timed intake: the leader's processes, the helper, PostgreSQL, the load generator. */
  cpuMs: { leader: number; helper: number; postgres: number; generator: number };
}

/** What the scale-out part measured. */
export interface ScaleResult {
  rows: ScaleRow[];
  kill: { acknowledged: number; found: number; lost: number; failedPosts: number };
  race: { calls: number; released: number; count: number; found: number };
  million: { estimates: { p50: number; max: number }; dashboard: { p50: number; max: number }; fillSeconds: number };
}

/** What the scale-out part needs: a folder, the report pairs, the serve flags and a running PostgreSQL. */
export interface ScaleSetup {
  dir: string;
  task: Task;
  id: string;
  pairs: { leader: WireReport; helper: WireReport }[];
  perConfig: number;
  concurrency: number;
  common: string[];
  postgres: PostgresServer;
  log: (line: string) => void;
}

let databases = 0;
/** A fresh database: a new SQLite file, or a new database on the benchmark's PostgreSQL. */
async function freshDb(s: ScaleSetup, kind: StoreKind, name: string): Promise<string> {
  const db = `${name}_${++databases}`;
  return kind === "sqlite" ? `${s.dir}/${db}.db` : s.postgres.createDatabase(db);
}

/** A helper (one process) and a leader of `processes` processes, on fresh databases of `kind`. */
async function service(s: ScaleSetup, kind: StoreKind, processes: number) {
  const helperDb = await freshDb(s, kind, "helper");
  const leaderDb = await freshDb(s, kind, "leader");
  const helper = await serve(["--db", helperDb, "--role", "helper", ...s.common]);
  const leader = await serve(["--db", leaderDb, "--peer", helper.url, "--workers", String(processes), ...s.common]);
  return { helper, leader, leaderDb, close: async () => (await stop(leader), await stop(helper)) };
}

/** Runs every part; each configuration starts from empty databases. */
export async function scaleOut(s: ScaleSetup): Promise<ScaleResult> {
  const rows: ScaleRow[] = [];
  let slice = 0;
  for (const kind of ["sqlite", "postgres"] as const)
    for (const processes of [1, 2, 4]) {
      const pairs = s.pairs.slice(slice * s.perConfig, ++slice * s.perConfig);
      rows.push({ store: kind, processes, ...(await intakeWith(s, kind, processes, pairs)) });
      s.log(`intake on ${kind} with ${processes} process(es): ${JSON.stringify(rows[rows.length - 1])}`);
    }
  const kill = await killOne(s);
  return { rows, ...kill, million: await million(s) };
}

async function intakeWith(s: ScaleSetup, kind: StoreKind, processes: number, pairs: ScaleSetup["pairs"]) {
  const svc = await service(s, kind, processes);
  try {
    await intake(
      svc.helper.url,
      pairs.map((p) => JSON.stringify(p.helper)),
      16,
    ); // untimed: the helper's shares first, so preparation runs during the leader's intake
    const roots = [svc.leader.child.pid!, svc.helper.child.pid!, s.postgres.pid];
    const before = treeCpuSeconds(roots);
    const generatorBefore = process.cpuUsage();
    const r = await intake(
      svc.leader.url,
      pairs.map((p) => JSON.stringify(p.leader)),
      s.concurrency,
    );
    const used = treeCpuSeconds(roots).map((x, i) => ((x - before[i]!) * 1000) / pairs.length);
    const generator = process.cpuUsage(generatorBefore);
    const cpuMs = { leader: used[0]!, helper: used[1]!, postgres: used[2]!, generator: (generator.user + generator.system) / 1000 / pairs.length };
    if (kind === "sqlite") return { ...r, cpuMs, bytesPerReport: null };
    await prepared(svc.leader.url, s.id);
    return { ...r, cpuMs, bytesPerReport: await bytesPerReport(svc.leaderDb, pairs.length) };
  } finally {
    await svc.close();
  }
}

/** The leader database's size per report, after a checkpoint (its empty size, a fresh database's, subtracted). */
async function bytesPerReport(url: string, reports: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const size = async (db: string) => Number((await client.query("SELECT pg_database_size($1) AS n", [db])).rows[0].n);
    await client.query("CHECKPOINT");
    return ((await size(client.database!)) - (await size("template1"))) / reports;
  } finally {
    await client.end();
  }
}

/** PostgreSQL, two processes: SIGKILL of one under load, then ten releases at once. */
async function killOne(s: ScaleSetup): Promise<Pick<ScaleResult, "kill" | "race">> {
  const svc = await service(s, "postgres", 2);
  try {
    const victim = Number((await svc.leader.printed(/worker \d+ pid (\d+) listening/))[1]);
    const load = new ReportLoad(s.task, svc.helper.url, svc.leader.url, 16, benchInput);
    await load.reach(500);
    process.kill(victim, "SIGKILL");
    await svc.leader.printed(new RegExp(`pid ${victim} exited`));
    await load.reach(load.acknowledged.size + 500);
    await load.stop();
    const store = await ReportStore.open(svc.leaderDb);
    const found = new Set(await store.reportIds(s.id));
    await store.close();
    const lost = [...load.acknowledged].filter((x) => !found.has(x)).length;
    const kill = { acknowledged: load.acknowledged.size, found: found.size, lost, failedPosts: load.failed };
    s.log(`SIGKILL of one of two processes on PostgreSQL: ${JSON.stringify(kill)}`);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => analyst(svc.leader.url, `/v1/tasks/${s.id}/release`, {}, { authorization: `Bearer ${TOKEN}` })),
    );
    const ok = answers.filter((a) => a.status === 200);
    const race = { calls: answers.length, released: ok.length, count: ok[0]?.json.count ?? 0, found: found.size };
    s.log(`ten releases at once on two processes: ${JSON.stringify(race)}`);
    return { kill, race };
  } finally {
    await svc.close();
  }
}

/** The analyst's views with 1,000,000 reports stored on PostgreSQL (filled in SQL, as in bulk, not through HTTP). */
async function million(s: ScaleSetup): Promise<ScaleResult["million"]> {
  const svc = await service(s, "postgres", 1);
  try {
    const t0 = performance.now();
    await fillPostgres(svc.leaderDb, s.task, s.id, 1_000_000);
    const fillSeconds = (performance.now() - t0) / 1000;
    const estimates = await timeGet(svc.leader.url, `/v1/tasks/${s.id}/estimates`, 30);
    const dashboard = await timeGet(svc.leader.url, "/", 30);
    s.log(`at 1M on PostgreSQL (filled in ${fillSeconds.toFixed(1)} s): estimates ${JSON.stringify(estimates)}, dashboard ${JSON.stringify(dashboard)}`);
    return { estimates, dashboard, fillSeconds };
  } finally {
    await svc.close();
  }
}

/** Writes `n` synthetic reports of the bench task as the store would keep them (ids, shard counts, answer counts, a text every tenth). */
async function fillPostgres(url: string, task: Task, id: string, n: number): Promise<void> {
  const store = await ReportStore.open(url);
  const hour = coarseHour();
  // Ratings 1..5 in turn, in grid units: mean 3, mean square 11.
  const step = (task.questions.find((q) => q.id === "rating") as { step: number }).step;
  const statements: [string, unknown[]][] = [
    ["INSERT INTO reports (task, id, digest, received_hour) SELECT ?, md5('fill' || i), 'synthetic', ? FROM generate_series(1, ?::bigint) AS i", [id, hour, n]],
    ["INSERT INTO report_counts (task, shard, n) VALUES (?, 0, ?) ON CONFLICT (task, shard) DO UPDATE SET n = report_counts.n + excluded.n", [id, n]],
    ["INSERT INTO rr_counts (task, question, value, shard, n) SELECT ?, 'recommend', v, 0, ? FROM generate_series(0, 1) AS v", [id, n / 2]],
    ["INSERT INTO rr_counts (task, question, value, shard, n) SELECT ?, 'feature', v, 0, ? FROM generate_series(0, 3) AS v", [id, n / 4]],
    [
      "INSERT INTO bounded_sums (task, question, shard, n, units, units_sq) VALUES (?, 'rating', 0, ?, ?, ?)",
      [id, n, (3 * n) / step, (11 * n) / (step * step)],
    ],
    ["INSERT INTO texts (task, received_hour, text) SELECT ?, ?, 'a text every tenth report' FROM generate_series(1, ?::bigint)", [id, hour, n / 10]],
  ];
  try {
    await store.driver.transaction(async (tx) => {
      for (const [sql, params] of statements) await tx.run(sql, params);
    });
  } finally {
    await store.close();
  }
}

/** Starts a PostgreSQL of its own (Debian's package, a temporary cluster on a Unix socket), runs scaleOut, and stops it. */
export async function runScaleOut(setup: Omit<ScaleSetup, "postgres">): Promise<ScaleResult> {
  const postgres = await startPostgres();
  try {
    return await scaleOut({ ...setup, postgres });
  } finally {
    await postgres.stop();
  }
}

/** The scale-out part of collector.md. */
export function scaleMarkdown(r: ScaleResult, f: (x: number, d?: number) => string): string[] {
  const lines = [
    "",
    "| intake with several processes (Prio3 task, concurrency 64) | processes | reports/s | p50 ms | p99 ms | CPU ms per report: leader | helper | PostgreSQL | load generator |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of r.rows) {
    const c = row.cpuMs;
    const pgCpu = row.store === "postgres" ? f(c.postgres, 2) : "–";
    lines.push(
      `| ${row.store === "sqlite" ? "SQLite" : "PostgreSQL"} | ${row.processes} | ${f(row.perSecond)} | ${f(row.p50, 1)} | ${f(row.p99, 1)} | ${f(c.leader, 2)} | ${f(c.helper, 2)} | ${pgCpu} | ${f(c.generator, 2)} |`,
    );
  }
  const k = r.kill;
  const bytes = r.rows.filter((x) => x.bytesPerReport !== null).map((x) => f(x.bytesPerReport!));
  lines.push(
    "",
    `The leader's PostgreSQL database holds ${bytes.join(", ")} bytes per prepared report (1, 2 and 4 processes; pg_database_size after a checkpoint, less an empty database).`,
    "",
    `SIGKILL of one of two processes on PostgreSQL under load (16 devices): ${f(k.acknowledged)} reports acknowledged, ${f(k.found)} found in the database, ${k.lost} acknowledged and lost; ${f(k.failedPosts)} posts failed with the killed process (never acknowledged).`,
    `Ten releases at once on two processes: ${r.race.released} of ${r.race.calls} released batch 1 (${f(r.race.count)} reports; ${f(r.race.found)} stored), the others found the next batch empty.`,
    `At 1,000,000 reports on PostgreSQL (filled in SQL in ${f(r.million.fillSeconds, 1)} s): estimates p50 ${f(r.million.estimates.p50, 2)} ms, dashboard p50 ${f(r.million.dashboard.p50, 2)} ms.`,
  );
  return lines;
}
