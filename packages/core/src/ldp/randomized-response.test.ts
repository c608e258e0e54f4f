import { test } from "node:test";
import assert from "node:assert/strict";
import { COIN_PROTOCOL_EPSILON, estimateFrequency, kAryResponse, randomizedResponse, truthProbability, normalQuantile } from "./randomized-response.js";
import { seededSource } from "../random/seeded.js";
import type { RandomSource } from "../random/source.js";
import { UniformStream } from "../random/uniform-stream.js";
import { ALPHA, chiSquareTest, testSeed, wilson } from "../test-support/gof.js";
import { InvalidEpsilonError, InvalidOptionError } from "../errors.js";

const N = 200_000;

function kAryLaw(value: number, k: number, epsilon: number): Map<number, number> {
  const p = truthProbability(epsilon, k);
  const m = new Map<number, number>();
  for (let y = 0; y < k; y++) m.set(y, y === value ? p : (1 - p) / (k - 1));
  return m;
}

test("the coin protocol is epsilon = ln 3 and its estimate is exactly 2N/n - 1/2", () => {
  assert.ok(Math.abs(truthProbability(COIN_PROTOCOL_EPSILON) - 0.75) < 1e-15);
  for (const [yes, n] of [
    [0, 1],
    [13, 40],
    [500, 1000],
    [731, 1000],
    [99_999, 100_000],
  ] as const) {
    const e = estimateFrequency({ count: yes, total: n, epsilon: COIN_PROTOCOL_EPSILON });
    assert.ok(Math.abs(e.estimate - ((2 * yes) / n - 0.5)) < 1e-12, `${yes}/${n}: ${e.estimate}`);
  }
});

for (const [k, epsilon] of [
  [2, 1],
  [4, 1.5],
  [10, 3],
] as const) {
  test(`k-ary randomized response (k = ${k}, epsilon = ${epsilon}) fits its exact law; the law at 1.1x epsilon is rejected`, () => {
    const random = seededSource(testSeed(11 + k));
    const counts = new Map<number, number>();
    const value = k - 1;
    for (let i = 0; i < N; i++) {
      const y = k === 2 ? Number(randomizedResponse(value === 1, epsilon, { random })) : kAryResponse(value, k, epsilon, { random });
      counts.set(y, (counts.get(y) ?? 0) + 1);
    }
    const fit = chiSquareTest(counts, kAryLaw(value, k, epsilon), N);
    assert.ok(fit.p > ALPHA, `exact law rejected: p ${fit.p}`);
    const off = chiSquareTest(counts, kAryLaw(value, k, 1.1 * epsilon), N);
    assert.ok(off.p < ALPHA, `no power at 1.1x epsilon: p ${off.p}`);
  });
}

test("measured epsilon of randomized response is neither above nor clearly below the claim", () => {
  // P(y = 0 | x = 0) / P(y = 0 | x = 1) = e^epsilon exactly; bound both probabilities at z = 5.
  const epsilon = 2;
  const k = 3;
  const random = seededSource(testSeed(21));
  let hitsA = 0;
  let hitsB = 0;
  for (let i = 0; i < N; i++) {
    if (kAryResponse(0, k, epsilon, { random }) === 0) hitsA++;
    if (kAryResponse(1, k, epsilon, { random }) === 0) hitsB++;
  }
  const a = wilson(hitsA, N);
  const b = wilson(hitsB, N);
  const lower = Math.log(a.lo / b.hi);
  const upper = Math.log(a.hi / b.lo);
  assert.ok(lower <= epsilon && epsilon <= upper, `epsilon ${epsilon} outside the measured [${lower}, ${upper}]`);
  assert.ok(upper - lower < 0.1, `the measurement is too loose to mean anything: [${lower}, ${upper}]`);
  assert.ok(!(1.1 * epsilon <= upper), "a 10% larger epsilon should be ruled out");
});

test("the frequency estimator is unbiased, its variance estimate is right and its 95% interval covers over many populations", () => {
  const random = seededSource(testSeed(31));
  const uniform = new UniformStream(seededSource(testSeed(32)));
  const populations = 3000;
  const n = 400;
  const epsilon = 1;
  const k = 3;
  let biasSum = 0;
  const estimates: number[] = [];
  let varianceEstimateSum = 0;
  let covered = 0;
  for (let t = 0; t < populations; t++) {
    // Respondents drawn at random from a population whose share of category 0 is 0.1, 0.35 or 0.8 in turn.
    const trueF = [0.1, 0.35, 0.8][t % 3]!;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const truth = uniform.next() < trueF ? 0 : 1 + (i % 2);
      if (kAryResponse(truth, k, epsilon, { random }) === 0) count++;
    }
    const e = estimateFrequency({ count, total: n, epsilon, k });
    biasSum += e.estimate - trueF;
    estimates.push(e.estimate - trueF);
    varianceEstimateSum += e.variance;
    if (e.interval[0] <= trueF && trueF <= e.interval[1]) covered++;
  }
  const meanError = biasSum / populations;
  const empiricalVar = estimates.reduce((s, x) => s + (x - meanError) ** 2, 0) / (populations - 1);
  const meanVarEstimate = varianceEstimateSum / populations;
  // Bias: the mean error is within 5 standard errors of 0.
  assert.ok(Math.abs(meanError) < 5 * Math.sqrt(empiricalVar / populations), `bias ${meanError}`);
  // Variance: the average variance estimate matches the spread of the estimates to 10%.
  assert.ok(Math.abs(meanVarEstimate / empiricalVar - 1) < 0.1, `variance estimate ${meanVarEstimate} vs ${empiricalVar}`);
  // Coverage: at least 93% (95% minus 5 standard errors of a proportion over 3000 trials is 93.0%).
  assert.ok(covered / populations >= 0.93, `coverage ${covered / populations}`);
});

test("randomized response draws the same number of uniforms whatever the answer", () => {
  const draws: number[] = [];
  for (const value of [0, 1, 2, 3]) {
    let bytes = 0;
    const inner = seededSource(5);
    const counting: RandomSource = {
      seeded: true,
      fill(b) {
        bytes += b.length;
        inner.fill(b);
      },
    };
    // One pool refill covers thousands of calls; count calls until the second refill instead.
    let calls = 0;
    while (bytes < 2 * 65536) {
      kAryResponse(value, 4, 1, { random: counting });
      calls++;
    }
    draws.push(calls);
  }
  assert.deepEqual(new Set(draws).size, 1, `calls per two pools differ by answer: ${draws.join(", ")}`);
});

test("bad input to randomized response gets a typed error", () => {
  assert.throws(() => randomizedResponse(true, Number.NaN), InvalidEpsilonError);
  assert.throws(() => randomizedResponse(true, -1), InvalidEpsilonError);
  assert.throws(() => randomizedResponse("yes" as unknown as boolean, 1), InvalidOptionError);
  assert.throws(() => kAryResponse(3, 3, 1), InvalidOptionError);
  assert.throws(() => kAryResponse(0, 1, 1), InvalidOptionError);
  assert.throws(() => estimateFrequency({ count: 5, total: 4, epsilon: 1 }), InvalidOptionError);
  assert.throws(() => estimateFrequency({ count: 1, total: 4, epsilon: Infinity }), InvalidEpsilonError);
});

test("normal quantile", () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-12);
  assert.ok(Math.abs(normalQuantile(1e-6) + 4.753424308822899) < 1e-7);
});
