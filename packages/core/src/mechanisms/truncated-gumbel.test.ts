import { test } from "node:test";
import assert from "node:assert/strict";
import { calibrateGumbel, gumbelMinEpsilon, mixtureWinnerProbabilities, poissonCdf, winnerProbabilities } from "./truncated-gumbel.js";
import { toyEmbedding } from "../test-support/toy.js";
import { EpsilonOutOfRangeError } from "../errors.js";
import { UniformStream } from "../random/uniform-stream.js";
import { seededSource } from "../random/seeded.js";
import { truncatedGumbel } from "../random/samplers.js";
import { lambertW0 } from "../math/lambert-w.js";

const e = toyEmbedding(100, 8, 16, 9);

test("calibration follows docs/mechanisms.md, M4 step 2 and refuses epsilon at or below the minimum, naming it", () => {
  const min = gumbelMinEpsilon(e);
  assert.ok(Math.abs(min - (2 * (1 + Math.log(100)) + 3) / e.dMin) < 1e-12);
  assert.throws(
    () => calibrateGumbel(e, min),
    (err: unknown) => err instanceof EpsilonOutOfRangeError && err.minEpsilon === min && err.message.includes(min.toFixed(3)),
  );
  assert.throws(() => calibrateGumbel(e, min * 0.5), EpsilonOutOfRangeError);
  const eps = min * 3;
  const c = calibrateGumbel(e, eps);
  const a = (eps - (2 * (1 + Math.log(100))) / e.dMin) / 3;
  assert.ok(Math.abs(c.b - (2 * e.dMax) / Math.min(lambertW0(2 * a * e.dMax), Math.log(a * e.dMin))) < 1e-12);
  assert.equal(c.calibrated, true);
  assert.equal(c.m, e.dMax);
  assert.ok(Math.abs(c.lambda - Math.log(99)) < 1e-15);
  const s = calibrateGumbel(e, 1, { scale: 0.7, lambda: 3 });
  assert.equal(s.b, 0.7);
  assert.equal(s.calibrated, false);
  assert.equal(s.lambda, 3);
});

test("the Poisson table is cumulative and capped at K", () => {
  const c = poissonCdf(Math.log(49_999), 64);
  assert.equal(c.length, 65);
  assert.equal(c[64], 1);
  for (let k = 1; k <= 64; k++) assert.ok(c[k]! >= c[k - 1]!);
  assert.ok(Math.abs(c[0]! - 1 / 49_999) < 1e-15);
});

test("winner probabilities by quadrature sum to 1 and match simulation of argmin(d - g)", () => {
  const b = 0.8,
    m = 2.5;
  const F = (x: number) => Math.exp(-Math.exp(-x / b));
  const fLow = F(-m),
    fRange = F(m) - F(-m);
  const Ft = (x: number) => (x <= -m ? 0 : x >= m ? 1 : (F(x) - fLow) / fRange);
  const ft = (x: number) => (x < -m || x > m ? 0 : Math.exp(-x / b - Math.exp(-x / b)) / b / fRange);
  const d = Float64Array.of(0, 0.4, 0.45, 1.3, 2.2, 5.2);
  const p = winnerProbabilities(d, Ft, ft, m);
  assert.ok(Math.abs(p.reduce((x, y) => x + y, 0) - 1) < 1e-12);
  assert.equal(p[5], 0, "a candidate 5.2 away can never beat one at 0 when noise is within +-2.5 (5.2 > 2m)");
  const s = new UniformStream(seededSource(4));
  const M = 400_000;
  const wins = new Float64Array(d.length);
  for (let t = 0; t < M; t++) {
    let best = 0,
      bv = Infinity;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]! - truncatedGumbel(s, b, fLow, fRange);
      if (v < bv) ((bv = v), (best = i));
    }
    wins[best]!++;
  }
  for (let i = 0; i < d.length; i++)
    assert.ok(Math.abs(wins[i]! / M - p[i]!) < 5 * Math.sqrt((p[i]! * (1 - p[i]!)) / M) + 1e-9, `candidate ${i}: ${wins[i]! / M} vs ${p[i]}`);
});

test("the Poisson mixture in one integral equals the sum over k of each set's winner probabilities", () => {
  const m = 3;
  const { Ft, ft } = truncatedGumbelPair(1.3, m);
  const d = Float64Array.of(0, 0.3, 0.9, 1.1, 2.5, 4.0, 6.5, 7.1);
  const cdf = poissonCdf(2.5, d.length - 1);
  const weights = Float64Array.from(cdf, (c, k) => c - (k ? cdf[k - 1]! : 0));
  const bySets = new Float64Array(d.length);
  weights.forEach((pk, k) => {
    const win = winnerProbabilities(d.subarray(0, k + 1), Ft, ft, m);
    win.forEach((x, i) => (bySets[i]! += pk * x));
  });
  const mixed = mixtureWinnerProbabilities(d, weights, Ft, ft, m);
  for (let i = 0; i < d.length; i++) assert.ok(Math.abs(mixed[i]! - bySets[i]!) < 1e-13, `candidate ${i}: ${mixed[i]} vs ${bySets[i]}`);
  assert.ok(Math.abs(mixed.reduce((a, x) => a + x, 0) - 1) < 1e-12);
});

/** The CDF and density of Gumbel(0, b) truncated to [-m, m]. */
function truncatedGumbelPair(b: number, m: number): { Ft: (x: number) => number; ft: (x: number) => number } {
  const F = (x: number) => Math.exp(-Math.exp(-x / b));
  const fLow = F(-m),
    fRange = F(m) - F(-m);
  return {
    Ft: (x) => (x <= -m ? 0 : x >= m ? 1 : (F(x) - fLow) / fRange),
    ft: (x) => (x < -m || x > m ? 0 : Math.exp(-x / b - Math.exp(-x / b)) / b / fRange),
  };
}
