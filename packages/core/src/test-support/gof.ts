// Goodness-of-fit tools for the statistical tests. Every sampler and mechanism
// test uses the same pattern: draw N samples, accept the exact law at level
// ALPHA, and (power check) reject the law at 1.1x epsilon with the same samples.

import { lnGamma } from "../math/ln-gamma.js";

export { lnGamma };

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

/** Regularized lower incomplete gamma P(a, x). */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (x < a + 1) {
    let sum = 1 / a,
      term = sum;
    for (let n = 1; n < 10000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
  }
  return 1 - gammaQcf(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  return x < a + 1 ? 1 - gammaP(a, x) : gammaQcf(a, x);
}

function gammaQcf(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a,
    c = 1 / tiny,
    d = 1 / b,
    h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
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

/**
 * Chi-square goodness of fit of observed counts against expected probabilities.
 * Cells with expected count below 5 are pooled into one cell. `probs` need not
 * cover everything: the remainder 1 - sum(probs) is its own cell.
 */
export function chiSquareTest(counts: Map<number, number>, probs: Map<number, number>, N: number): { stat: number; df: number; p: number } {
  let stat = 0,
    cells = 0,
    pooledE = 0,
    pooledO = 0,
    sumP = 0,
    seenO = 0;
  for (const [y, p] of probs) {
    sumP += p;
    const o = counts.get(y) ?? 0;
    seenO += o;
    const e = p * N;
    if (e < 5) {
      pooledE += e;
      pooledO += o;
      continue;
    }
    stat += ((o - e) * (o - e)) / e;
    cells++;
  }
  pooledE += Math.max(0, 1 - sumP) * N;
  pooledO += N - seenO;
  if (pooledE > 0) {
    stat += ((pooledO - pooledE) * (pooledO - pooledE)) / pooledE;
    cells++;
  } else if (pooledO > 0) return { stat: Infinity, df: cells, p: 0 };
  const df = Math.max(1, cells - 1);
  return { stat, df, p: gammaQ(df / 2, stat / 2) };
}

export function countValues(xs: ArrayLike<number>): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < xs.length; i++) m.set(xs[i]!, (m.get(xs[i]!) ?? 0) + 1);
  return m;
}

/** Clopper-Pearson style bounds via the Wilson score interval at z (conservative enough for z = 5). */
export function wilson(k: number, n: number, z = 5): { lo: number; hi: number } {
  const p = k / n,
    z2 = z * z,
    den = 1 + z2 / n;
  const c = (p + z2 / (2 * n)) / den,
    h = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / den;
  return { lo: Math.max(0, c - h), hi: Math.min(1, c + h) };
}
