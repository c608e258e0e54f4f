// Goodness-of-fit tools for the statistical tests. Every sampler and mechanism
// test uses the same pattern: draw N samples, accept the exact law at level
// ALPHA, and (power check) reject the law at 1.1x epsilon with the same samples.

import { lnGamma } from "../math/ln-gamma.js";
import { wilsonInterval } from "../ldp/randomized-response.js";
import { gammaP, gammaQ, chiSquareTest, countValues } from "../stats/hypothesis.js";

export { lnGamma, gammaP, gammaQ, chiSquareTest, countValues };

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

/** Kolmogorov-Smirnov: p-value of the sample against a continuous CDF (asymptotic Kolmogorov law). */
export function ksTest(samples: ArrayLike<number>, cdf: (x: number) => number): { D: number; p: number } {
  const xs = Float64Array.from(samples).sort();
  const n = xs.length;
  let D = 0;
  for (let i = 0; i < n; i++) {
    const F = cdf(xs[i]!);
    D = Math.max(D, (i + 1) / n - F, F - i / n);
  }
  const t = (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n)) * D;
  let p = 0;
  for (let k = 1; k < 200; k++) p += 2 * (k % 2 ? 1 : -1) * Math.exp(-2 * k * k * t * t);
  return { D, p: Math.min(1, Math.max(0, p)) };
}

/** Clopper-Pearson style bounds via the Wilson score interval at z (conservative enough for z = 5). */
export function wilson(k: number, n: number, z = 5): { lo: number; hi: number } {
  const [lo, hi] = wilsonInterval(k, n, z);
  return { lo, hi };
}
