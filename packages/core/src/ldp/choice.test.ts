import { test } from "node:test";
import assert from "node:assert/strict";
import { choiceProbabilities, exponentialChoice } from "./choice.js";
import { seededSource } from "../random/seeded.js";
import { ALPHA, chiSquareTest, testSeed } from "../test-support/gof.js";
import { InvalidEpsilonError, InvalidOptionError } from "../errors.js";

test("exponential choice fits exp(epsilon * score / (2 * sensitivity)); the law at 1.1x epsilon is rejected", () => {
  const scores = [3, 1, 0, 2.5, -1, 4];
  const opts = { epsilon: 2, sensitivity: 1 };
  const random = seededSource(testSeed(51));
  const N = 200_000;
  const counts = new Map<number, number>();
  for (let i = 0; i < N; i++) {
    const y = exponentialChoice(scores, { ...opts, random });
    counts.set(y, (counts.get(y) ?? 0) + 1);
  }
  const law = (eps: number) => new Map([...choiceProbabilities(scores, { epsilon: eps, sensitivity: 1 })].map((p, i) => [i, p] as [number, number]));
  const fit = chiSquareTest(counts, law(2), N);
  assert.ok(fit.p > ALPHA, `exact law rejected: p ${fit.p}`);
  const off = chiSquareTest(counts, law(2.2), N);
  assert.ok(off.p < ALPHA, `no power at 1.1x epsilon: p ${off.p}`);
});

test("exponential choice: probabilities are stable for large scores; bad input is a typed error", () => {
  const p = choiceProbabilities([1e6, 1e6 - 1], { epsilon: 2, sensitivity: 1 });
  assert.ok(Math.abs(p[0]! / p[1]! - Math.E) < 1e-9);
  assert.throws(() => exponentialChoice([], { epsilon: 1, sensitivity: 1 }), InvalidOptionError);
  assert.throws(() => exponentialChoice([1, Number.NaN], { epsilon: 1, sensitivity: 1 }), InvalidOptionError);
  assert.throws(() => exponentialChoice([1, 2], { epsilon: 1, sensitivity: 0 }), InvalidOptionError);
  assert.throws(() => exponentialChoice([1, 2], { epsilon: -1, sensitivity: 1 }), InvalidEpsilonError);
});
