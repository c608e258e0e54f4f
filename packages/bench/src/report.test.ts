import { MECHANISMS } from "@veil/core";
import { test } from "node:test";
import assert from "node:assert/strict";
import { lineChart, linearTicks, logTicks } from "./charts.js";
import { ProgressBar, clock } from "./progress.js";
import { timeBoxed } from "./speed.js";
import { interpolate, meanSd, settingKey, isCalibrated, DEFAULT_GRID } from "./utility.js";
import { compareAtEqualNw, compareAtEqualR, compareM4M1, type UtilityPoint } from "./utility-run.js";

test("meanSd and interpolate", () => {
  assert.deepEqual(meanSd([2, 4, 6]), { mean: 4, sd: 2 });
  assert.equal(meanSd([5]).sd, 0);
  const curve = [
    { x: 0.9, y: 0.8 },
    { x: 0.1, y: 0.5 },
    { x: 0.5, y: 0.7 },
  ];
  assert.ok(Math.abs(interpolate(curve, 0.3)! - 0.6) < 1e-12);
  assert.equal(interpolate(curve, 0.9), 0.8);
  assert.equal(interpolate(curve, 0.95), null, "no extrapolation");
});

test("the default grid: every mechanism, five or more points, M4's uncalibrated points labelled", () => {
  for (const m of MECHANISMS) assert.ok(DEFAULT_GRID.filter((s) => s.mechanism === m && s.keep === undefined).length >= 5, m);
  for (const m of ["laplace", "gumbel"])
    assert.ok(DEFAULT_GRID.filter((s) => s.mechanism === m && s.keep === "stopwords").length >= 3, `${m} with stopwords kept`);
  assert.equal(new Set(DEFAULT_GRID.map(settingKey)).size, DEFAULT_GRID.length, "keys are unique");
  assert.equal(settingKey({ mechanism: "gumbel", epsilon: 45, scale: 0.5 }), "gumbel eps=45 b=0.5");
  assert.equal(settingKey({ mechanism: "laplace", epsilon: 6, keep: "stopwords" }), "laplace eps=6 keep=stopwords");
  assert.equal(isCalibrated({ mechanism: "gumbel", epsilon: 45, lambda: 60 }), false);
  assert.ok(
    DEFAULT_GRID.filter((s) => s.mechanism === "gumbel").every((s) => s.epsilon >= 44),
    "M4 is only run where its calibration is valid",
  );
});

function point(mechanism: "laplace" | "gumbel", Nw: number, runs: number[], calibrated = true): UtilityPoint {
  const s = { mean: meanSd(runs).mean, sd: meanSd(runs).sd, runs };
  return {
    key: `${mechanism}${Nw}`,
    setting: { mechanism, epsilon: 50 },
    series: mechanism,
    calibrated,
    Nw,
    Sw: 1,
    stats: { Nw, Sw: 1, words: 1, draws: 1, method: "exact" },
    keptTokens: Nw,
    accuracy: s,
    accuracyPrivateTest: s,
  };
}

test("M4 against M1 at matched N_w: paired per seed, interpolated, only where both curves reach", () => {
  const m1 = [point("laplace", 0.1, [0.5, 0.52]), point("laplace", 0.5, [0.6, 0.64]), point("laplace", 0.95, [0.8, 0.8])];
  const m4 = [point("gumbel", 0.2, [0.6, 0.6]), point("gumbel", 0.7, [0.75, 0.77], false)];
  const c = compareM4M1([...m1, ...m4], 2);
  // At N_w 0.2 (the calibrated M4): M1 is 0.525 (seed 1) and 0.55 (seed 2); M4 0.6 both.
  assert.equal(c[0]!.Nw, 0.2);
  assert.ok(Math.abs(c[0]!.m1 - 0.5375) < 1e-12);
  assert.ok(Math.abs(c[0]!.difference - 0.0625) < 1e-12);
  assert.ok(Math.abs(c[0]!.sd - Math.SQRT1_2 * 0.025) < 1e-12);
  assert.deepEqual(
    c.map((x) => x.Nw),
    [0.2, 0.3, 0.5, 0.7],
    "0.9 is beyond M4's points",
  );
  assert.deepEqual(compareM4M1(m1, 2), []);
  // Scored on privatized test texts: the same interpolation over the other runs.
  const shifted = [...m1, ...m4].map((p) => ({
    ...p,
    accuracyPrivateTest: { ...p.accuracy, runs: p.accuracy.runs.map((r) => r - (p.setting.mechanism === "laplace" ? 0.1 : 0)) },
  }));
  assert.ok(Math.abs(compareM4M1(shifted, 2, "accuracyPrivateTest")[0]!.difference - 0.1625) < 1e-12);
  assert.ok(Math.abs(compareM4M1(shifted, 2)[0]!.difference - 0.0625) < 1e-12);
});

test("charts: round ticks, escaped text, one polyline per series, error bars", () => {
  assert.deepEqual(linearTicks(0.43, 0.87, 5), [0.5, 0.6, 0.7, 0.8]);
  assert.deepEqual(logTicks(2, 60), [2, 5, 10, 20, 50]);
  const svg = lineChart({
    title: "a <b> & c",
    xLabel: "x",
    yLabel: "y",
    xLog: true,
    series: [
      {
        name: "one",
        color: "#000",
        points: [
          { x: 1, y: 0.5, err: 0.1 },
          { x: 10, y: 0.7 },
        ],
      },
      { name: "two", color: "#f00", dashed: true, points: [{ x: 3, y: 0.6 }] },
    ],
    references: [{ name: "ref", y: 0.8, color: "#00f" }],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.includes("a &lt;b&gt; &amp; c") && !svg.includes("<b>"));
  assert.equal((svg.match(/<polyline/g) ?? []).length, 2);
  assert.equal((svg.match(/<circle/g) ?? []).length, 3);
  assert.equal((svg.match(/stroke-dasharray="6 4"/g) ?? []).length, 2, "the dashed series and its legend");
  assert.ok(svg.includes("ref (0.800)"));
  assert.throws(() => lineChart({ title: "t", xLabel: "", yLabel: "", series: [] }), /no points/);
  assert.throws(() => lineChart({ title: "t", xLabel: "", yLabel: "", xLog: true, series: [{ name: "", color: "", points: [{ x: 0, y: 1 }] }] }), /log axis/);
});

test("progress bar: redraws on a terminal, throttles in a log, always prints the end", () => {
  const written: string[] = [];
  const tty = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  const bar = new ProgressBar("work", 4, tty);
  bar.tick("a");
  assert.match(written[0]!, /^\r\x1b\[Kwork \[#######\.{21}\] 1\/4 25% 0s ~0s left · a$/);
  bar.tick("b", 3);
  assert.match(written[1]!, /4\/4 100% .*· b\n$/);
  const log: string[] = [];
  const pipe = new ProgressBar("work", 3, { isTTY: false, write: (s: string) => log.push(s) } as unknown as NodeJS.WriteStream);
  (pipe.tick(), pipe.tick(), pipe.tick());
  assert.equal(log.length, 2, "the first line, then nothing for 15 s, then the last");
  assert.equal(clock(125), "2m05s");
});

test("timeBoxed doubles the size until a run is long enough, and stops at maxSize", () => {
  const sizes: number[] = [];
  const spin = (ms: number): void => {
    const t = performance.now();
    while (performance.now() - t < ms);
  };
  const r = timeBoxed((n) => (sizes.push(n), spin(n / 10), n), 10, 0.05);
  assert.ok(r.seconds >= 0.05 && r.units === sizes[sizes.length - 1]);
  assert.ok(Math.abs(r.perSecond - r.units / r.seconds) < 1e-9);
  assert.equal(timeBoxed((n) => n, 1, 10, 64).units, 64);
});

test("equal attacker success: each mechanism's accuracy at R, the best marked, the paired difference to M1", () => {
  const at = (mechanism: "laplace" | "exponential", R: number, runs: number[]): UtilityPoint => ({
    ...point("laplace", 0.5, runs),
    setting: { mechanism, epsilon: 1 },
    R,
    R5: R,
  });
  // M1: accuracy 0.5 at R 0.2 and 0.7 at R 0.6 (seed 2: 0.1 lower); M2: 0.6 at R 0.2 and 0.8 at R 0.6 on both seeds.
  const points = [at("laplace", 0.2, [0.5, 0.4]), at("laplace", 0.6, [0.7, 0.6]), at("exponential", 0.2, [0.6, 0.6]), at("exponential", 0.6, [0.8, 0.8])];
  const rows = compareAtEqualR(points, 2);
  assert.deepEqual(
    rows.map((r) => r.R),
    [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6],
  );
  const mid = rows.find((r) => r.R === 0.4)!;
  assert.ok(Math.abs(mid.accuracy.laplace! - 0.55) < 1e-12 && Math.abs(mid.accuracy.exponential! - 0.7) < 1e-12);
  assert.equal(mid.best, "exponential");
  // Per seed: 0.7 - 0.6 and 0.7 - 0.5, so 0.15 +- 0.0707.
  assert.ok(Math.abs(mid.vsM1.exponential!.difference - 0.15) < 1e-12);
  assert.ok(Math.abs(mid.vsM1.exponential!.sd - Math.SQRT1_2 / 10) < 1e-12);
  assert.deepEqual(compareAtEqualR(points.slice(0, 2), 2), [], "one mechanism alone is no comparison");
});

test("every curve at equal N_w: interpolated per seed, only where a curve reaches, the best marked, public data beside it", () => {
  const withPublic = (p: UtilityPoint, runs: number[]): UtilityPoint => ({ ...p, accuracyWithPublic: { ...meanSd(runs), runs } });
  const m1 = [withPublic(point("laplace", 0.1, [0.5, 0.52]), [0.6, 0.6]), withPublic(point("laplace", 0.6, [0.6, 0.64]), [0.7, 0.7])];
  const m4 = [withPublic(point("gumbel", 0.25, [0.7, 0.7]), [0.72, 0.72]), withPublic(point("gumbel", 0.8, [0.75, 0.77]), [0.8, 0.8])];
  const rows = compareAtEqualNw([...m1, ...m4], 2, [0.2, 0.5, 0.7]);
  assert.deepEqual(
    rows.map((r) => r.Nw),
    [0.2, 0.5, 0.7],
  );
  assert.ok(Math.abs(rows[0]!.accuracy.laplace! - (0.52 + 0.544) / 2) < 1e-12, String(rows[0]!.accuracy.laplace));
  assert.equal(rows[0]!.accuracy.gumbel, undefined, "M4's curve starts at 0.25");
  assert.equal(rows[1]!.best, "gumbel");
  assert.equal(rows[2]!.accuracy.laplace, undefined, "M1's curve ends at 0.6");
  assert.ok(rows[1]!.withPublic!.laplace! > rows[1]!.accuracy.laplace!);
});

test("M10's c: the largest c within 1% of the best mean distance at the first N_w (a smaller c needs more epsilon)", async () => {
  const { bestRankConstant, rankConstantMarkdown } = await import("./rank-constant.js");
  const row = (c: number | null, d: number) => ({ c, points: [{ targetNw: 0.5, epsilon: 10, meanDistance: d }] });
  // The default pack's measured shape: a plateau below 0.04, worse above.
  const rows = [row(null, 2.464), row(0.005, 1.668), row(0.01, 1.668), row(0.02, 1.67), row(0.04, 1.681), row(0.08, 1.895)];
  assert.equal(bestRankConstant(rows), 0.04);
  assert.equal(bestRankConstant(rows, 0.001), 0.01, "a tighter tolerance picks a smaller c");
  assert.equal(bestRankConstant([row(0.01, 2), row(0.02, 1.5), row(0.04, 1.9)]), 0.02, "no plateau: the best itself");
  assert.match(rankConstantMarkdown(rows), /\| M1 \(no rank step\) \| 10\.00 \| 2\.464 \|/);
});
