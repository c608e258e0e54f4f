import { test } from "node:test";
import assert from "node:assert/strict";
import { boundedGrid, boundedNoiseVariance, boundedNumber, estimateMean } from "./bounded.js";
import { seededSource } from "../random/seeded.js";
import { ALPHA, chiSquareTest, testSeed } from "../test-support/gof.js";
import { InvalidEpsilonError, InvalidOptionError } from "../errors.js";

const N = 200_000;

/** Two-sided geometric law in units, P(k) = (1 - a)/(1 + a) a^|k|. */
function discreteLaplace(rate: number, centre: number, span: number): Map<number, number> {
  const a = Math.exp(-rate);
  const m = new Map<number, number>();
  for (let k = -span; k <= span; k++) m.set(centre + k, ((1 - a) / (1 + a)) * a ** Math.abs(k));
  return m;
}

test("bounded numbers: outputs are exact grid multiples and fit the discrete Laplace law; 1.1x epsilon is rejected", () => {
  const opts = { lower: 0, upper: 4, step: 0.5, epsilon: 2 };
  const g = boundedGrid(0, 4, 0.5);
  assert.equal(g.sensitivityUnits, 8);
  const random = seededSource(testSeed(41));
  const counts = new Map<number, number>();
  for (let i = 0; i < N; i++) {
    const y = boundedNumber(2.5, { ...opts, random });
    const units = y / 0.5;
    assert.ok(Number.isInteger(units), `output ${y} is not a multiple of the step`);
    counts.set(units, (counts.get(units) ?? 0) + 1);
  }
  const fit = chiSquareTest(counts, discreteLaplace(2 / 8, 5, 200), N);
  assert.ok(fit.p > ALPHA, `exact law rejected: p ${fit.p}`);
  const off = chiSquareTest(counts, discreteLaplace((1.1 * 2) / 8, 5, 200), N);
  assert.ok(off.p < ALPHA, `no power at 1.1x epsilon: p ${off.p}`);
});

test("bounded numbers: inputs are clamped, off-grid inputs are rounded without bias, and the default grid is a power of two", () => {
  const random = seededSource(testSeed(42));
  const opts = { lower: 1, upper: 5, epsilon: 1, random };
  assert.equal(boundedGrid(1, 5).step, 2 ** -8);
  assert.equal(boundedGrid(0, 1000).step, 0.5);
  for (const [x, expected] of [
    [1.3, 1.3],
    [100, 5],
    [-7, 1],
  ] as const) {
    let sum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) sum += boundedNumber(x, { ...opts, step: 0.5 });
    const se = Math.sqrt(boundedNoiseVariance({ ...opts, step: 0.5 }) / n + 0.25 / n);
    assert.ok(Math.abs(sum / n - expected) < 5 * se, `mean for ${x}: ${sum / n}, expected ${expected}`);
  }
});

test("estimateMean: the 95% interval covers the true mean over many simulated populations", () => {
  const random = seededSource(testSeed(43));
  const opts = { lower: 0, upper: 100, epsilon: 1 };
  let covered = 0;
  const trials = 2000;
  for (let t = 0; t < trials; t++) {
    const n = 50 + (t % 5) * 50;
    const values = Array.from({ length: n }, (_, i) => (i * 37 + t) % 101);
    const truth = values.reduce((s, v) => s + Math.min(100, v), 0) / n;
    const reports = values.map((v) => boundedNumber(v, { ...opts, random }));
    const e = estimateMean(reports, opts);
    if (e.interval[0] <= truth && truth <= e.interval[1]) covered++;
  }
  assert.ok(covered / trials >= 0.93, `coverage ${covered / trials}`);
});

test("bad input to bounded numbers gets a typed error", () => {
  assert.throws(() => boundedNumber(1, { lower: 0, upper: 1, epsilon: 0 }), InvalidEpsilonError);
  assert.throws(() => boundedNumber(Number.NaN, { lower: 0, upper: 1, epsilon: 1 }), InvalidOptionError);
  assert.throws(() => boundedNumber(1, { lower: 2, upper: 1, epsilon: 1 }), InvalidOptionError);
  assert.throws(() => boundedNumber(1, { lower: 0, upper: 1, epsilon: 1, step: 0.3 }), InvalidOptionError);
  assert.throws(() => boundedNumber(1, { lower: 0, upper: 1e30, epsilon: 1, step: 1 }), InvalidOptionError);
  assert.throws(() => estimateMean([], { lower: 0, upper: 1, epsilon: 1 }), InvalidOptionError);
});
