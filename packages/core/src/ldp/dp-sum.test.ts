import { test } from "node:test";
import assert from "node:assert/strict";
import { combineReleased, noiseShare, releaseNoisedShare } from "./dp-sum.js";
import { addShares, share } from "./secret-sharing.js";
import { poisson, polya, streamFor } from "./random.js";
import { seededSource } from "../random/seeded.js";
import { ALPHA, chiSquareTest, lnGamma, testSeed } from "../test-support/gof.js";
import { InvalidOptionError } from "../errors.js";

const N = 200_000;

function discreteLaplace(rate: number, span: number): Map<number, number> {
  const a = Math.exp(-rate);
  const m = new Map<number, number>();
  for (let k = -span; k <= span; k++) m.set(k, ((1 - a) / (1 + a)) * a ** Math.abs(k));
  return m;
}

for (const servers of [2, 3]) {
  test(`${servers} servers' noise shares add up to discrete Laplace noise; the law at 1.1x epsilon is rejected`, () => {
    const random = seededSource(testSeed(70 + servers));
    const opts = { epsilon: 1, sensitivity: 4, servers, random };
    const counts = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      let total = 0;
      for (let s = 0; s < servers; s++) total += noiseShare(opts);
      counts.set(total, (counts.get(total) ?? 0) + 1);
    }
    const fit = chiSquareTest(counts, discreteLaplace(1 / 4, 400), N);
    assert.ok(fit.p > ALPHA, `exact law rejected: chi2 ${fit.stat}, p ${fit.p}`);
    const off = chiSquareTest(counts, discreteLaplace(1.1 / 4, 400), N);
    assert.ok(off.p < ALPHA, `no power at 1.1x epsilon: p ${off.p}`);
  });
}

test("Polya with shape 1/2 fits the negative binomial law", () => {
  const s = streamFor({ random: seededSource(testSeed(74)) });
  const rate = 0.3;
  const a = Math.exp(-rate);
  const r = 0.5;
  const counts = new Map<number, number>();
  for (let i = 0; i < N; i++) {
    const k = polya(s, r, rate);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const law = new Map<number, number>();
  for (let k = 0; k < 400; k++) law.set(k, Math.exp(lnGamma(k + r) - lnGamma(k + 1) - lnGamma(r) + r * Math.log(1 - a) + k * Math.log(a)));
  assert.ok(chiSquareTest(counts, law, N).p > ALPHA);
});

for (const lambda of [3.5, 40, 20_000]) {
  test(`Poisson(${lambda}) fits its law (inversion below 10, PTRS above)`, () => {
    const s = streamFor({ random: seededSource(testSeed(75)) });
    const counts = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      const k = poisson(s, lambda);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const law = new Map<number, number>();
    const lo = Math.max(0, Math.floor(lambda - 12 * Math.sqrt(lambda) - 10));
    for (let k = lo; k < lambda + 12 * Math.sqrt(lambda) + 20; k++) law.set(k, Math.exp(-lambda + k * Math.log(lambda) - lnGamma(k + 1)));
    const fit = chiSquareTest(counts, law, N);
    assert.ok(fit.p > ALPHA, `p ${fit.p}`);
  });
}

test("a DP sum under secret sharing: two servers release noised share sums, the combine step gets the total plus small noise", () => {
  const random = seededSource(testSeed(76));
  const values = [3800n, 2514n, 2982n, 3390n];
  const perServer = [0n, 0n];
  for (const v of values) {
    const [a, b] = share(v, 2, { random });
    perServer[0] = addShares(perServer[0]!, a!);
    perServer[1] = addShares(perServer[1]!, b!);
  }
  const opts = { epsilon: 1, sensitivity: 10, servers: 2, random };
  const total = combineReleased(perServer.map((s) => releaseNoisedShare(s, opts)));
  // Noise scale is sensitivity/epsilon = 10: 200 is 20 scales, probability about 2e-9.
  assert.ok(total > 12686n - 200n && total < 12686n + 200n, `total ${total}`);
  assert.throws(() => noiseShare({ epsilon: 1, sensitivity: 0, servers: 2 }), InvalidOptionError);
  assert.throws(() => noiseShare({ epsilon: 1, sensitivity: 1, servers: 0 }), InvalidOptionError);
});
