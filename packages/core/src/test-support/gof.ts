// Goodness-of-fit tools for the statistical tests. Every sampler and mechanism
// test uses the same pattern: draw N samples, accept the exact law at level
// ALPHA, and (power check) reject the law at 1.1x epsilon with the same samples.

import { lnGamma } from "../math/ln-gamma.js";
import { wilsonInterval } from "../ldp/randomized-response.js";
import { gammaP, gammaQ, chiSquareTest, countValues, ksTest } from "../stats/hypothesis.js";

export { lnGamma, gammaP, gammaQ, chiSquareTest, countValues, ksTest };

/** Significance level: a correct sampler fails a test with probability 1e-6. */
export const ALPHA = 1e-6;

/** Seeded unless VEIL_UNSEEDED=1 (then each run draws a fresh seed, printed for replay). */
export function testSeed(fixed: number): number {
  if (process.env.VEIL_UNSEEDED === "1") {
    const s = crypto.getRandomValues(new Uint32Array(1))[0]!;
    console.log(`# unseeded run: seed ${s}`);
    return s;
  }
  return fixed;
}

/** Clopper-Pearson style bounds via the Wilson score interval at z (conservative enough for z = 5). */
export function wilson(k: number, n: number, z = 5): { lo: number; hi: number } {
  const [lo, hi] = wilsonInterval(k, n, z);
  return { lo, hi };
}
