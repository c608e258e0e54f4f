// M4, the headline mechanism: the truncated Gumbel mechanism (docs/mechanisms.md, M4; Xu,
// Feyisetan, Aggarwal, Xu, Teissier, FLAIRS 2021).
//
// Per word: k ~ Poisson(lambda) capped at the table width K; candidates are the
// word (distance 0) and its k nearest neighbours; each gets Gumbel(0, b) noise
// truncated to [-d_max, d_max]; the output is argmin(distance - noise). The
// per-word loop runs in WebAssembly (assembly/mechanisms.ts, gumbelBatch) or its
// TypeScript twin (backends/js.ts). This file holds the calibration of b and the
// exact output law.
import type { Backend, GumbelSamplerParams } from "../backends/backend.js";
import { hasTable, type Embedding } from "../embeddings/embedding.js";
import { EpsilonOutOfRangeError, MissingPackError } from "../errors.js";
import { integrateVector } from "../math/gauss-kronrod.js";
import { lambertW0 } from "../math/lambert-w.js";
import { OutputLaw } from "./law.js";

/** M4's calibration on a pack: the Gumbel scale b, λ, the truncation bound and the smallest valid epsilon. */
export interface GumbelCalibration extends GumbelSamplerParams {
  /** false when an explicit `scale` replaced the calibrated b. */
  calibrated: boolean;
  lambda: number;
  /** Truncation bound m = d_max. */
  m: number;
  /** The smallest epsilon the calibration accepts (exclusive). */
  minEpsilon: number;
}

/** Smallest valid epsilon for M4 on this pack: a * d_min must exceed 1 (exclusive bound). */
export function gumbelMinEpsilon(e: Pick<Embedding, "n" | "dMin">): number {
  return (2 * (1 + Math.log(e.n))) / e.dMin + 3 / e.dMin;
}

/**
 * docs/mechanisms.md, M4 step 2: a = (eps - 2(1 + ln n)/d_min)/3; refuse if a*d_min <= 1;
 * b = 2 d_max / min(W0(2 a d_max), ln(a d_min)). `scale` overrides b.
 */
export function calibrateGumbel(e: Embedding, epsilon: number, opts: { scale?: number; lambda?: number } = {}): GumbelCalibration {
  if (!hasTable(e)) throw new MissingPackError("The truncated Gumbel mechanism needs the pack's neighbour table, and this pack has none.");
  const minEpsilon = gumbelMinEpsilon(e);
  let b: number;
  if (opts.scale !== undefined) b = opts.scale;
  else {
    const a = (epsilon - (2 * (1 + Math.log(e.n))) / e.dMin) / 3;
    if (!(a * e.dMin > 1))
      throw new EpsilonOutOfRangeError(
        `epsilon ${epsilon} is below the truncated Gumbel mechanism's calibrated range on this pack: it needs epsilon > ${minEpsilon.toFixed(3)} (d_min ${e.dMin.toFixed(4)}, n ${e.n}). Use a larger epsilon, or set an explicit scale (uncalibrated).`,
        minEpsilon,
      );
    b = (2 * e.dMax) / Math.min(lambertW0(2 * a * e.dMax), Math.log(a * e.dMin));
  }
  const lambda = opts.lambda ?? Math.log(e.n - 1);
  const m = e.dMax;
  const F = (x: number) => Math.exp(-Math.exp(-x / b));
  const fLow = F(-m);
  const fRange = F(m) - fLow;
  // Near the top of the range, where the winners' V lie: 1.0 to 1.2 logarithms a word on the default pack, from b = 0.5 to 128 (a simulation on its distances).
  const tangentAt = fLow + TANGENT_FRACTION * fRange;
  return { b, fLow, fRange, tangentAt, poissonCdf: poissonCdf(lambda, e.K), calibrated: opts.scale === undefined, lambda, m, minEpsilon };
}

/** The sampler's tangent point, as a fraction of the CDF range (GumbelSamplerParams.tangentAt). */
const TANGENT_FRACTION = 0.9;

/** Cumulative Poisson(lambda) over k = 0..K with the tail folded into K (the cap). */
export function poissonCdf(lambda: number, K: number): Float64Array {
  const cdf = new Float64Array(K + 1);
  let p = Math.exp(-lambda);
  let acc = 0;
  for (let k = 0; k < K; k++) {
    acc += p;
    cdf[k] = Math.min(acc, 1);
    p *= lambda / (k + 1);
  }
  cdf[K] = 1;
  return cdf;
}

export function gumbelMechanism(backend: Backend, ids: Int32Array, cal: GumbelCalibration): Int32Array {
  return backend.gumbelBatch(ids, cal);
}

/** Poisson weights below this are dropped from the exact law (their total is reported as `truncated`). */
const NEGLIGIBLE = 1e-17;

/**
 * Exact output law of M4 for word w (docs/mechanisms.md, M4): a Poisson mixture
 * over k of the winner probabilities of k+1 truncated-Gumbel-perturbed
 * distances. With Y_i = g_i - d_i, P(i wins) = integral of f(s + d_i) prod_{j != i}
 * F(s + d_j) ds over s, f and F the truncated Gumbel density and CDF; the
 * integrand is smooth between the truncation kinks s = +-m - d_j, so each piece
 * is integrated by adaptive Gauss-Kronrod.
 */
export function gumbelLaw(backend: Backend, w: number, cal: GumbelCalibration): OutputLaw {
  const e = backend.embedding;
  const K = e.K;
  const table = e.neighbours!;
  const dist = backend.neighbourDistances(w, K);
  const { b, fLow, fRange, m } = cal;
  const Ft = (x: number) => (x <= -m ? 0 : x >= m ? 1 : (Math.exp(-Math.exp(-x / b)) - fLow) / fRange);
  const ft = (x: number) => (x < -m || x > m ? 0 : Math.exp(-x / b - Math.exp(-x / b)) / b / fRange);
  const weights = new Float64Array(K + 1); // P(k), with the negligible ones dropped
  let prevCdf = 0;
  for (let k = 0; k <= K; k++) {
    const pk = cal.poissonCdf[k]! - prevCdf;
    prevCdf = cal.poissonCdf[k]!;
    if (pk >= NEGLIGIBLE) weights[k] = pk;
  }
  const d = new Float64Array(K + 1); // index 0 = w (distance 0), j+1 = table neighbour j
  d.set(dist.subarray(0, K), 1);
  const probs = mixtureWinnerProbabilities(d, weights, Ft, ft, m);
  const support = new Int32Array(K + 1);
  support[0] = w;
  support.set(table.subarray(w * K, w * K + K), 1);
  return new OutputLaw(support, probs, e.n);
}

/**
 * sum_k P(k) * P(candidate i wins among candidates 0..k), for every i, in one
 * integral instead of one per k. Candidate i takes part in every set with
 * k >= i, so its mixed winning density at s is f_i(s) * prod_{j<i} F_j(s) * T_i(s)
 * with T_i = sum_{k>=i} P(k) prod_{i<j<=k} F_j(s), computed backwards as
 * T_K = P(K), T_i = P(i) + F_{i+1} T_{i+1} (no division, so F = 0 is safe).
 * Equal to summing winnerProbabilities over k (tested), about K times faster.
 */
export function mixtureWinnerProbabilities(
  d: Float64Array,
  weights: Float64Array,
  Ft: (x: number) => number,
  ft: (x: number) => number,
  m: number,
): Float64Array {
  const c = d.length;
  const F = new Float64Array(c),
    T = new Float64Array(c);
  const f = (s: number, into: Float64Array) => {
    for (let j = 0; j < c; j++) F[j] = Ft(s + d[j]!);
    T[c - 1] = weights[c - 1]!;
    for (let i = c - 2; i >= 0; i--) T[i] = weights[i]! + F[i + 1]! * T[i + 1]!;
    let pre = 1;
    for (let i = 0; i < c; i++) {
      into[i] = ft(s + d[i]!) * pre * T[i]!;
      pre *= F[i]!;
    }
  };
  return integrateBetweenKinks(d, m, f);
}

/**
 * The integral over s of a vector integrand, piece by piece between the kinks
 * s = +-m - d_j where a truncated CDF starts or stops (smooth in between, so
 * adaptive Gauss-Kronrod converges on each piece).
 */
function integrateBetweenKinks(d: Float64Array, m: number, f: (s: number, into: Float64Array) => void): Float64Array {
  const out = new Float64Array(d.length);
  const cuts = new Set<number>();
  for (const x of d) (cuts.add(-m - x), cuts.add(m - x));
  const pts = [...cuts].sort((a, b) => a - b);
  for (let p = 0; p + 1 < pts.length; p++) integrateVector(f, pts[p]!, pts[p + 1]!, d.length, out, 1e-15);
  return out;
}

/** P(argmax_i (g_i - d_i) = i) for truncated-Gumbel g_i on [-m, m]. */
export function winnerProbabilities(d: Float64Array, Ft: (x: number) => number, ft: (x: number) => number, m: number): Float64Array {
  const c = d.length;
  const F = new Float64Array(c),
    pre = new Float64Array(c + 1),
    suf = new Float64Array(c + 1);
  const f = (s: number, into: Float64Array) => {
    for (let j = 0; j < c; j++) F[j] = Ft(s + d[j]!);
    pre[0] = 1;
    for (let j = 0; j < c; j++) pre[j + 1] = pre[j]! * F[j]!;
    suf[c] = 1;
    for (let j = c - 1; j >= 0; j--) suf[j] = suf[j + 1]! * F[j]!;
    for (let i = 0; i < c; i++) into[i] = ft(s + d[i]!) * pre[i]! * suf[i + 1]!;
  };
  return integrateBetweenKinks(d, m, f);
}
