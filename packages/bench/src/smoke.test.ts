// Smoke runs of `pnpm bench:utility` and `pnpm bench:speed` (tiny sizes, one
// dataset, not measurements): the harness works end to end and writes complete
// results. The full runs are not part of `npm test`.
import { test } from "node:test";
import { MECHANISMS } from "@veil/core";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SHARED_DATA } from "./results.js";

const main = fileURLToPath(new URL("./main.js", import.meta.url));
const noData = !existsSync(SHARED_DATA) && "../shared/data is not beside the repository";

function bench(...args: string[]): { out: string; status: number | null; stderr: string } {
  const out = mkdtempSync(path.join(os.tmpdir(), "veil-bench-smoke-"));
  const r = spawnSync(process.execPath, [main, ...args, "--out", out], { encoding: "utf8" });
  return { out, status: r.status, stderr: r.stderr };
}

test("bench:utility --smoke: every mechanism and both references, accuracies and N_w in range, two charts", { skip: noData }, () => {
  const r = bench("utility", "--smoke");
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(readFileSync(path.join(r.out, "utility.json"), "utf8"));
  assert.equal(report.benchmark, "utility");
  assert.ok(report.machine.cores >= 1 && report.versions.node === process.version && report.date);
  const d = report.datasets[0];
  assert.equal(d.name, "sst2");
  assert.equal(d.sizes.train, 300);
  assert.deepEqual(
    d.points.map((p: { series: string }) => p.series),
    [...MECHANISMS, "laplace+stopwords", "gumbel+stopwords"],
  );
  for (const p of d.points) {
    assert.equal(p.accuracy.runs.length, 2);
    assert.ok(p.accuracy.mean > 0.3 && p.accuracy.mean < 1, p.key);
    assert.ok(p.Nw >= 0 && p.Nw <= 1 && p.Sw >= 1, p.key);
  }
  assert.ok(d.baselines.none.accuracy.mean > 0.5);
  assert.ok(readFileSync(path.join(r.out, "utility-table.md"), "utf8").includes("M9 1-Diffractor"), "the table of every curve at equal N_w");
  assert.ok(d.trainOov > 0 && d.trainOov < d.trainTokens);
  for (const chart of ["utility-sst2-epsilon.svg", "utility-sst2-nw.svg"]) {
    const svg = readFileSync(path.join(r.out, chart), "utf8");
    for (const name of ["M1 Laplace", "M2 exponential", "M3 TEM", "M4 truncated Gumbel", "M5 Mahalanobis", "M10 rank-based Laplace", "none (clean text)"])
      assert.ok(svg.includes(name), `${chart}: ${name}`);
  }
});

test("bench:utility on a dataset given by path and format, split seeded, bad options refused", { skip: noData }, () => {
  const sms = path.join(SHARED_DATA, "sms-spam/SMSSpamCollection");
  const r = bench("utility", "--smoke", "--data", sms, "--format", "tsv", "--label-col", "0", "--text-col", "1", "--mechanisms", "gumbel", "--seeds", "1");
  assert.equal(r.status, 0, r.stderr);
  const d = JSON.parse(readFileSync(path.join(r.out, "utility.json"), "utf8")).datasets[0];
  assert.equal(d.name, "SMSSpamCollection");
  assert.equal(d.labels, 2);
  assert.equal(d.sizes.test + d.sizes.trainAvailable, 5574, "a 20% seeded split of all 5574 messages");
  const bad = bench("utility", "--smoke", "--data", sms, "--format", "xml");
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--format must be tsv, csv, fasttext or space/);
  assert.equal(bench("utility", "--seeds", "0").status, 2);
});

test("bench:speed --smoke: every mechanism on JS and WASM, with bounds and ratios", { skip: noData }, () => {
  const r = bench("speed", "--smoke");
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(readFileSync(path.join(r.out, "speed.json"), "utf8"));
  // Measured, whatever this machine's speed (speed itself is for the benchmark to report, not for a test to judge).
  for (const b of ["streamGBs", "mulAddGflops", "randomGBs"]) assert.ok(report.bounds[b] > 0 && Number.isFinite(report.bounds[b]), b);
  // Thirteen mechanism and table rows per backend, and text handling on each path (the module's text pass, JavaScript's).
  for (const backend of ["wasm", "js"]) assert.equal(report.rows.filter((x: { backend: string }) => x.backend === backend).length, 15, backend);
  // M4 warm (the caches a long-lived Veil keeps) and on its first call (a fresh Veil's caches empty), each against the random-byte bound.
  for (const kind of ["warm", "first call on a fresh Veil"])
    assert.ok(
      report.rows.some((x: { what: string; bound?: number }) => x.what.startsWith("M4 truncated Gumbel perturb()") && x.what.includes(kind) && x.bound! > 0),
      kind,
    );
  // The peers' mechanisms, each against its bound.
  for (const id of ["M5", "M6", "M7", "M8", "M9", "M10"])
    assert.ok(
      report.rows.some((x: { what: string; bound?: number }) => x.what.startsWith(`${id} `) && x.bound! > 0),
      `${id} has a row with its bound`,
    );
  assert.equal(report.rows.filter((x: { what: string }) => x.what.startsWith("text handling alone")).length, 2);
  // The machine's own two-thread ceiling, on the bounds' work.
  assert.deepEqual(
    report.threadScaling.map((t: { work: string }) => t.work),
    ["multiply-add", "random bytes"],
  );
  for (const t of report.threadScaling) assert.ok(t.ratio > 0 && Number.isFinite(t.ratio) && Math.abs(t.ratio - (2 * t.oneMs) / t.twoMs) < 1e-9, t.work);
  for (const row of report.rows) {
    assert.ok(row.perSecond > 0 && Number.isFinite(row.perSecond), row.what);
    if (row.bound) assert.ok(Math.abs(row.ratio - row.perSecond / row.bound) < 1e-9);
  }
  // Each Node row with a bound is held against the rates measured beside it: M1's bound is one multiply-add pass at that rate.
  const node = report.rows.filter((x: { backend: string; bound?: number }) => (x.backend === "wasm" || x.backend === "js") && x.bound);
  for (const row of node) assert.ok(row.boundsBeside.mulAddGflops > 0 && row.boundsBeside.randomGBs > 0, row.what);
  for (const row of node.filter((x: { what: string }) => x.what.startsWith("M1 ")))
    assert.ok(Math.abs(row.bound / ((row.boundsBeside.mulAddGflops * 1e9) / (2 * report.pack.n * report.pack.d)) - 1) < 1e-9, row.backend);
  assert.ok(report.memory.peakRssMiB > 10);
  // The pack loads count the memory they wrote first, read against this machine's price for it.
  const { first, warm, firstWrite } = report.packLoad;
  assert.ok(firstWrite.msPerMiB > 0 && firstWrite.bytesPerFault >= 4096 * 0.9, JSON.stringify(firstWrite));
  for (const x of [first, warm])
    assert.ok(x.faults * firstWrite.bytesPerFault > report.pack.n * report.pack.d * 4, "a load writes at least its float32 vectors");
  assert.match(
    readFileSync(path.join(r.out, "speed.md"), "utf8"),
    /\| pack load, again \(warm\) \| wasm \| read .* MiB written for the first time \([\d,]+ page faults\) \| first write of fresh memory: [\d.]+ ms\/MiB/,
  );
  assert.match(readFileSync(path.join(r.out, "speed.md"), "utf8"), /\| M1 multivariate Laplace perturb\(\), eps 10 \| wasm \|/);
});
