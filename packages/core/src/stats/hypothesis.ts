// Hypothesis tests used by the audit (and by the statistical tests).
import { lnGamma } from "../math/ln-gamma.js";

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

/** Regularized incomplete beta I_x(a, b) (continued fraction, Numerical Recipes' betacf). */
export function betaI(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betacf(a, b, x)) / a;
  return 1 - (front * betacf(b, a, 1 - x)) / b;
}

function betacf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1,
    d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The q-quantile of Beta(a, b), by bisection on betaI (60 halvings: exact to double precision). */
export function betaQuantile(q: number, a: number, b: number): number {
  let lo = 0,
    hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (betaI(a, b, mid) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Exact (Clopper-Pearson) two-sided interval for a binomial proportion at level 1 - alpha. */
export function clopperPearson(k: number, n: number, alpha: number): { lo: number; hi: number } {
  return {
    lo: k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1),
    hi: k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k),
  };
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
