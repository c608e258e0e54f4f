#!/usr/bin/env node
// `pnpm bench:collector`: the collector under load, as two real processes (leader and
// helper, started through the CLI) and a load generator in this one.
//   - intake: reports/s and p50/p99 latency at concurrency 1, 16 and 64
//   - Prio3: sharding (device) and preparation (both collectors) cost per report
//   - estimates and dashboard latency at 100k and 1M stored reports
//   - intake at 100k reports while one client keeps reloading the dashboard, against intake without it
// Writes bench/results/collector.json and collector.md. A benchmark, not a test: numbers from one run.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Buffer } from "node:buffer";
import { buildReports, parseReport, parseTask, taskId, type ParsedReport, type Task, type WireReport } from "@veil/task";
import { prepareReport } from "./prepare.js";
import { ReportStore } from "./store.js";
import { serveFiles, serveProcess as serve } from "./test-pair.js";
import { TOKEN, benchInput, intake, prepared, stop, timeGet } from "./bench-load.js";
import { runScaleOut, scaleMarkdown } from "./bench-scale.js";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const PEER = "bench-peer-token";
const TASK_DEF = {
  version: 1,
  name: "bench",
  text: { mechanism: "gumbel", epsilon: 50 },
  questions: [
    { id: "recommend", type: "rr", labels: ["No", "Yes"], epsilon: 1 },
    { id: "feature", type: "rr", labels: ["Search", "Checkout", "Order tracking", "Support chat"], epsilon: 1 },
    { id: "rating", type: "bounded", lower: 1, upper: 5, epsilon: 1 },
  ],
  aggregates: [{ id: "spend", type: "sum", lower: 0, upper: 1000, decimals: 2, epsilon: 1 }],
  minBatchSize: 100,
  schedule: "manual",
};
const log = (m: string) => process.stderr.write(`[bench:collector] ${m}\n`);

/**
 * Intake at concurrency 16 alone and while one client reloads the dashboard,
 * alternating (quiet, busy, quiet, busy) and letting preparation finish between
 * phases, so both see the same state; returns the mean of each.
 */
async function contention(url: string, id: string, bodies: string[]) {
  const phase = bodies.length / 4;
  const quiet: number[] = [];
  const busy: number[] = [];
  let reloads = 0;
  for (let i = 0; i < 4; i++) {
    const slice = bodies.slice(i * phase, (i + 1) * phase);
    let reloading = i % 2 === 1;
    const reloader = (async () => {
      while (reloading) {
        await timeGet(url, "/", 1);
        reloads++;
      }
    })();
    const r = await intake(url, slice, 16);
    reloading = false;
    await reloader;
    (i % 2 === 1 ? busy : quiet).push(r.perSecond);
    await prepared(url, id);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const out = { quiet: mean(quiet), busy: mean(busy), runs: { quiet, busy }, reloads, ratio: mean(busy) / mean(quiet) };
  log(`intake at 100k: alone ${out.quiet.toFixed(0)}/s, with the dashboard reloading ${out.busy.toFixed(0)}/s (${reloads} reloads)`);
  return out;
}

/** Builds `n` report pairs (the device's work: privatized values are fixed here; the Prio3 sharding is real). */
async function makeReports(task: Task, id: string, n: number): Promise<{ leader: WireReport; helper: WireReport }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = await buildReports(task, id, benchInput(i));
    out.push({ leader: r.leader, helper: r.helper });
  }
  return out;
}

/** Stores synthetic reports straight into a stopped leader's database, to reach 100k and 1M quickly. */
async function fill(db: string, id: string, upTo: number): Promise<void> {
  const store = await ReportStore.open(db);
  const stored = (await store.getTask(id))!;
  const have = stored.reports;
  const bytes = new Uint8Array(16);
  for (let i = have; i < upTo; i += 50_000) {
    await store.transaction(async (q) => {
      for (let j = i; j < Math.min(upTo, i + 50_000); j++) {
        crypto.getRandomValues(bytes);
        const r: ParsedReport = {
          id: Buffer.from(bytes).toString("hex"),
          text: j % 10 === 0 ? "a text every tenth report" : undefined,
          answers: [
            { question: "recommend", value: j % 2 },
            { question: "feature", value: j % 4 },
            { question: "rating", value: 1 + (j % 5) },
          ],
          prio3: [],
        } as ParsedReport;
        if (r.text === undefined) delete r.text;
        await q.insertReport(stored, r, "synthetic");
      }
    });
  }
  await store.close();
}

async function prio3Costs(task: Task, id: string, pairs: { leader: WireReport; helper: WireReport }[]) {
  const n = Math.min(200, pairs.length);
  const t0 = performance.now();
  await makeReports(task, id, n);
  const shardMs = (performance.now() - t0) / n;
  let leaderMs = 0;
  let helperMs = 0;
  for (const p of pairs.slice(0, n)) {
    const [l, h] = [await parseReport(task, "leader", p.leader), await parseReport(task, "helper", p.helper)];
    const row = (r: ParsedReport) => ({
      id: r.id,
      shares: Object.fromEntries(
        r.prio3.map((x) => [x.aggregate, [Buffer.from(x.publicShare).toString("base64"), Buffer.from(x.inputShare).toString("base64")]]),
      ) as Record<string, [string, string]>,
      state: "pending" as const,
      batch: null,
      output: null,
      received: 0,
    });
    const stored = { id, task, tokenHash: "", openBatch: 1, reports: 0, lastRelease: null };
    const s = performance.now();
    const lp = await prepareReport(stored.id, stored.task, "leader", PEER, row(l));
    const s1 = performance.now();
    const hp = await prepareReport(stored.id, stored.task, "helper", PEER, row(h), lp.shares);
    const s2 = performance.now();
    await prepareReport(stored.id, stored.task, "leader", PEER, row(l), hp.shares);
    leaderMs += s1 - s + (performance.now() - s2);
    helperMs += s2 - s1;
  }
  return {
    shardMs,
    leaderPrepareMs: leaderMs / n,
    helperPrepareMs: helperMs / n,
    leaderShareBytes: Buffer.from(pairs[0]!.leader.prio3!.spend!.share, "base64").length,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: "string" }, reports: { type: "string" }, "no-million": { type: "boolean" }, "scale-only": { type: "boolean" } },
  });
  const outDir = resolve(values.out ?? join(ROOT, "bench/results"));
  const perLevel = Number(values.reports ?? 1500);
  const dir = mkdtempSync(join(tmpdir(), "veil-bench-collector-"));
  const task = parseTask(TASK_DEF);
  const id = await taskId(task);
  // The load comes from one address: lift the per-address cap (shared out among processes) with the rate limit.
  const common = [
    ...serveFiles(dir, TASK_DEF, TOKEN, PEER),
    "--port",
    "0",
    "--rate",
    "1000000",
    "--burst",
    "1000000",
    "--max-connections-per-address",
    "100000",
  ];
  const leaderArgs = (helperUrl: string) => ["--db", join(dir, "leader.db"), "--peer", helperUrl, ...common];
  const result: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model };
  try {
    log(`building ${perLevel * 9 + 2400} reports (Prio3 sharding as a device does)`);
    const pairs = await makeReports(task, id, perLevel * 9 + 2400);
    const scale = { dir, task, id, pairs: pairs.slice(perLevel * 3 + 2400), perConfig: perLevel, concurrency: 64, common, log };
    if (values["scale-only"]) {
      // A quick look at the scale-out part alone: printed, not written over the results.
      result.scale = await runScaleOut(scale);
      return void process.stdout.write(markdown(result));
    }
    const helper = await serve(["--db", join(dir, "helper.db"), "--role", "helper", ...common]);
    let leader = await serve(leaderArgs(helper.url));
    result.prio3 = await prio3Costs(task, id, pairs);
    log(`Prio3 per report: ${JSON.stringify(result.prio3)}`);
    // Helper shares first (untimed), so the leader's preparation runs during its intake as in production.
    await intake(
      helper.url,
      pairs.map((p) => JSON.stringify(p.helper)),
      16,
    );
    const levels: Record<string, unknown> = {};
    for (const [i, c] of [1, 16, 64].entries()) {
      const bodies = pairs.slice(i * perLevel, (i + 1) * perLevel).map((p) => JSON.stringify(p.leader));
      levels[`c${c}`] = await intake(leader.url, bodies, c);
      log(`intake at concurrency ${c}: ${JSON.stringify(levels[`c${c}`])}`);
    }
    result.intake = levels;
    const views: Record<string, unknown> = {};
    const rest = pairs.slice(perLevel * 3, perLevel * 3 + 2400).map((p) => JSON.stringify(p.leader));
    for (const target of values["no-million"] ? [100_000] : [100_000, 1_000_000]) {
      await stop(leader);
      log(`filling the leader's database to ${target} reports`);
      const t0 = performance.now();
      await fill(join(dir, "leader.db"), id, target);
      log(`filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      leader = await serve(leaderArgs(helper.url));
      views[target] = {
        estimates: await timeGet(leader.url, `/v1/tasks/${id}/estimates`, 30),
        dashboard: await timeGet(leader.url, "/", 30),
      };
      log(`at ${target}: ${JSON.stringify(views[target])}`);
      if (target === 100_000) result.dashboardContention = await contention(leader.url, id, rest);
    }
    result.views = views;
    await stop(leader);
    await stop(helper);
    result.scale = await runScaleOut(scale);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "collector.json"), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(outDir, "collector.md"), markdown(result));
  process.stdout.write(markdown(result));
}

function markdown(r: Record<string, any>): string {
  const f = (x: number, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
  const lines = [
    `# Collector benchmark (${r.date}, Node ${r.node}, ${r.cpus} × ${r.cpu})`,
    "",
    "| intake (leader, Prio3 task) | reports/s | p50 ms | p99 ms |",
    "| --- | --- | --- | --- |",
  ];
  for (const [k, v] of Object.entries(r.intake ?? {}) as [string, any][])
    lines.push(`| concurrency ${k.slice(1)} | ${f(v.perSecond)} | ${f(v.p50, 1)} | ${f(v.p99, 1)} |`);
  const p = r.prio3;
  if (p)
    lines.push(
      "",
      `Prio3Sum (17 bits) per report: sharding on the device ${f(p.shardMs, 2)} ms; preparation ${f(p.leaderPrepareMs, 2)} ms on the leader, ${f(p.helperPrepareMs, 2)} ms on the helper; the leader's input share is ${p.leaderShareBytes} bytes.`,
    );
  lines.push("", "| stored reports | estimates p50 ms | dashboard p50 ms | dashboard bytes |", "| --- | --- | --- | --- |");
  for (const [k, v] of Object.entries(r.views ?? {}) as [string, any][])
    lines.push(`| ${f(Number(k))} | ${f(v.estimates.p50, 2)} | ${f(v.dashboard.p50, 2)} | ${f(v.dashboard.bytes)} |`);
  const c = r.dashboardContention;
  if (c)
    lines.push(
      "",
      `Intake at 100k reports, concurrency 16 (two runs each, alternating): ${f(c.quiet)}/s alone, ${f(c.busy)}/s while one client reloads the dashboard (${c.reloads} reloads): ${f(c.ratio, 2)}× (bound: at least 0.8×).`,
    );
  if (r.scale) lines.push(...scaleMarkdown(r.scale, f));
  return `${lines.join("\n")}\n`;
}

await main();
