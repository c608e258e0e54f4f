// Per-word samplers of the word mechanisms (docs/mechanisms.md, M2, M3, M4). The TypeScript
// reference twin is packages/core/src/backends/js.ts; both draw the same uniforms
// in the same order.

import { uniform, takeDraws, uniformAt } from "./random";
import { poissonOf } from "./samplers";
import { dist64 } from "./distances";

/**
 * M4, the truncated Gumbel mechanism, for `count` words. For each word: k from the
 * Poisson table (capped at K), candidates = the word (distance 0) and its k
 * nearest neighbours, truncated Gumbel(0, b) noise on [-m, m] for each, output the
 * argmin of distance - noise (ties: lower vocabulary id). Always consumes 1 + (K+1)
 * uniforms per word, whatever k is, so randomness use does not depend on the input
 * (taken at once: random.ts takeDraws).
 *
 * The argmin is taken in its exponential-race form (docs/mechanisms.md, M4, "How the
 * sampler finds the argmin"): with V = F(-m) + U (F(m) - F(-m)), the noise is
 * g = -b ln(-ln V), so d - g = b ln(c E) with c = exp(d/b) and E = -ln V, and the
 * winner is the candidate with the smallest key c E. A tangent of -ln at `tangentAt`
 * bounds every key from below for the price of a multiply-add; only candidates
 * whose bound does not rule them out get their logarithm (about 1.1 a word on the
 * default pack instead of 2 per candidate). The result is the full argmin's.
 *
 * `distCache` (f64[n*K]) memoises exact float64 distances from a word to its
 * table neighbours (see `cachedDistance`); `scaleCache` (f64[n*K]) memoises
 * c = exp(d/b) for the b of this call (the host clears it when b changes; 0 means
 * not computed, and c >= 1). `scratch` is f64[3(K+1) + K + 2] (the last K + 2 for draws across a refill).
 */
export function gumbelBatch(
  ids: usize,
  count: i32,
  out: usize,
  vecs: usize,
  d: i32,
  table: usize,
  K: i32,
  cdf: usize,
  b: f64,
  fLow: f64,
  fRange: f64,
  tangentAt: f64,
  distCache: usize,
  scaleCache: usize,
  scratch: usize,
): void {
  const lnT = Math.log(tangentAt);
  const invT = 1.0 / tangentAt;
  const rowBytes = (<usize>d) << 2;
  const spill = scratch + ((<usize>(3 * (K + 1))) << 3);
  for (let i = 0; i < count; i++) {
    const w = load<i32>(ids + ((<usize>i) << 2));
    // The word's K + 2 uniforms at once, in stream order: k's, then the race's k + 1, then the unused rest.
    const draws = takeDraws(K + 2, spill);
    const k = poissonOf(cdf, K, uniformAt(draws, 0));
    const base = <usize>w * <usize>K;
    const x = vecs + <usize>w * rowBytes;
    for (let j = 0; j < k; j++) {
      const slot = base + <usize>j;
      let c = load<f64>(scaleCache + (slot << 3));
      if (c == 0) {
        // Not computed yet for this b: the neighbour's row is read only now, so a warm word touches just its c row.
        const y = vecs + <usize>load<i32>(table + (slot << 2)) * rowBytes;
        c = Math.exp(cachedDistance(distCache + (slot << 3), x, y, d) / b);
        store<f64>(scaleCache + (slot << 3), c);
      }
      store<f64>(scratch + ((<usize>(j + 1)) << 3), c);
    }
    const first = drawRace(scratch, k, draws + 8, fLow, fRange, lnT, invT);
    store<i32>(out + ((<usize>i) << 2), raceWinner(scratch, k, first, w, table + (base << 2)));
  }
}

/**
 * The k + 1 uniforms of one word's race, from `draws` (random.ts takeDraws). `scratch` holds three rows of k + 1
 * f64: c (c_0 = 1 for the word itself, set here; c_1..c_k already written), then
 * V, then the lower bound L = c (1 - ln t - V/t) <= c E (the tangent of -ln at t).
 * Returns the candidate with the smallest bound, whose key is computed first.
 */
function drawRace(scratch: usize, k: i32, draws: usize, fLow: f64, fRange: f64, lnT: f64, invT: f64): i32 {
  const n = <usize>(k + 1);
  const vRow = scratch + (n << 3),
    lRow = scratch + (n << 4);
  store<f64>(scratch, 1.0);
  let first = 0;
  let firstBound = Infinity;
  for (let j = 0; j <= k; j++) {
    const off = (<usize>j) << 3;
    const v = fLow + uniformAt(draws, j) * fRange;
    const bound = load<f64>(scratch + off) * (1.0 - lnT - v * invT);
    store<f64>(vRow + off, v);
    store<f64>(lRow + off, bound);
    if (bound < firstBound) {
      firstBound = bound;
      first = j;
    }
  }
  return first;
}

/** The race's winner (smallest key c E, ties to the lower id): exact keys only where the bound leaves a chance. */
function raceWinner(scratch: usize, k: i32, first: i32, w: i32, row: usize): i32 {
  const n = <usize>(k + 1);
  const vRow = scratch + (n << 3),
    lRow = scratch + (n << 4);
  let bestId = candidateId(first, w, row);
  let best = load<f64>(scratch + ((<usize>first) << 3)) * -Math.log(load<f64>(vRow + ((<usize>first) << 3)));
  for (let j = 0; j <= k; j++) {
    if (j == first) continue;
    const off = (<usize>j) << 3;
    const c = load<f64>(scratch + off);
    if (load<f64>(lRow + off) > best + (best + c) * RACE_MARGIN) continue; // cannot win, nor tie
    const key = c * -Math.log(load<f64>(vRow + off));
    const id = candidateId(j, w, row);
    if (key < best || (key == best && id < bestId)) {
      best = key;
      bestId = id;
    }
  }
  return bestId;
}

/**
 * Slack on the bound test, relative to the key and to c: far above the few ulps by
 * which a computed bound can exceed the computed key it bounds (docs/mechanisms.md, M4).
 */
const RACE_MARGIN: f64 = 1e-12;

/** Candidate j's vocabulary id: 0 is the word itself, j >= 1 the table row's entry j - 1. */
function candidateId(j: i32, w: i32, row: usize): i32 {
  return j == 0 ? w : load<i32>(row + ((<usize>(j - 1)) << 2));
}

/**
 * The distance between two rows through one slot of the cache. A slot holds the
 * distance negated (0 as -0.0), so the all-zero bits of fresh memory mean "not
 * computed yet": the cache needs no initialising pass, and its pages are only
 * touched when used (filling 25.6 MB with a sentinel cost about 75 ms per load).
 * (Small enough that -O3 inlines it; no @inline, which prettier cannot parse.)
 */
function cachedDistance(slot: usize, x: usize, y: usize, d: i32): f64 {
  const c = load<f64>(slot);
  if (reinterpret<u64>(c) != 0) return -c;
  const dy = dist64(x, y, d);
  store<f64>(slot, -dy);
  return dy;
}

/** Exact float64 distances from word w to its first `k` table neighbours, via the cache. */
export function neighbourDistances(w: i32, k: i32, vecs: usize, d: i32, table: usize, K: i32, distCache: usize, out: usize): void {
  const rowBytes = (<usize>d) << 2;
  const base = <usize>w * <usize>K;
  for (let j = 0; j < k; j++) {
    const slot = base + <usize>j;
    const y = load<i32>(table + (slot << 2));
    store<f64>(out + ((<usize>j) << 3), cachedDistance(distCache + (slot << 3), vecs + <usize>w * rowBytes, vecs + <usize>y * rowBytes, d));
  }
}

/**
 * The smallest exponent of a weight, as in packages/core/src/backends/weight-row.ts and
 * assembly/weights.ts: every entry keeps a weight of at least e^-708, so none is impossible.
 */
const EXP_FLOOR: f64 = -708.0;

/**
 * One draw from P(j) proportional to exp(-scale * dist[j]) over `n` float64
 * distances by one uniform against the cumulative weights (docs/mechanisms.md, M2: the same law
 * as Gumbel-max, one exp per entry). `weights` is scratch f64[n]. Ties in the
 * cumulative search go to the lower index.
 */
export function expSample(dist: usize, n: i32, scale: f64, u: f64, weights: usize): i32 {
  let dmin = Infinity;
  for (let j = 0; j < n; j++) dmin = min(dmin, load<f64>(dist + ((<usize>j) << 3)));
  let total: f64 = 0;
  for (let j = 0; j < n; j++) {
    const w = Math.exp(max(-scale * (load<f64>(dist + ((<usize>j) << 3)) - dmin), EXP_FLOOR));
    store<f64>(weights + ((<usize>j) << 3), w);
    total += w;
  }
  const target = u * total;
  let acc: f64 = 0;
  let last = 0;
  for (let j = 0; j < n; j++) {
    const w = load<f64>(weights + ((<usize>j) << 3));
    if (w > 0) last = j;
    acc += w;
    if (acc >= target && w > 0) return j;
  }
  return last;
}

/** The first j in [0, n) with prefix[j] >= target (prefix non-decreasing), or n. */
function firstAtLeast(prefix: usize, n: i32, target: f64): i32 {
  let lo = 0,
    hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f64>(prefix + ((<usize>mid) << 3)) >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * expSample for many uniforms against the same row (a word repeated in a text, or
 * an audit's samples): the weights and their running sums are computed once, in
 * the same order as expSample, and each uniform finds its index by binary search
 * on the running sums, so every result equals expSample's linear scan exactly.
 */
export function expSampleMany(dist: usize, n: i32, scale: f64, us: usize, m: i32, weights: usize, prefix: usize, out: usize): void {
  let dmin = Infinity;
  for (let j = 0; j < n; j++) dmin = min(dmin, load<f64>(dist + ((<usize>j) << 3)));
  let acc: f64 = 0;
  let last = 0;
  for (let j = 0; j < n; j++) {
    const w = Math.exp(max(-scale * (load<f64>(dist + ((<usize>j) << 3)) - dmin), EXP_FLOOR));
    store<f64>(weights + ((<usize>j) << 3), w);
    acc += w;
    store<f64>(prefix + ((<usize>j) << 3), acc);
    if (w > 0) last = j;
  }
  for (let i = 0; i < m; i++) {
    const target = load<f64>(us + ((<usize>i) << 3)) * acc;
    let lo = firstAtLeast(prefix, n, target);
    while (lo < n && load<f64>(weights + ((<usize>lo) << 3)) <= 0) lo++;
    store<i32>(out + ((<usize>i) << 2), lo < n ? lo : last);
  }
}

/**
 * M3 (TEM) selection: candidates with distances `dist[0..cnt)` (scores -d) plus the
 * catch-all with log-weight `logCatch` (already multiplied by epsilon/2; -Inf when
 * empty). Returns the winning candidate's index, or -1 for the catch-all.
 */
export function temSelect(dist: usize, cnt: i32, halfEps: f64, logCatch: f64, u: f64): i32 {
  let top = logCatch;
  for (let j = 0; j < cnt; j++) top = max(top, -halfEps * load<f64>(dist + ((<usize>j) << 3)));
  let total: f64 = 0;
  for (let j = 0; j < cnt; j++) total += Math.exp(-halfEps * load<f64>(dist + ((<usize>j) << 3)) - top);
  const wCatch = logCatch == -Infinity ? 0.0 : Math.exp(logCatch - top);
  total += wCatch;
  const target = u * total;
  let acc: f64 = 0;
  for (let j = 0; j < cnt; j++) {
    acc += Math.exp(-halfEps * load<f64>(dist + ((<usize>j) << 3)) - top);
    if (acc >= target) return j;
  }
  return wCatch > 0 ? -1 : cnt - 1;
}

/**
 * temSelect for many uniforms against the same candidates (a repeated word): the
 * weights' running sums are computed once, in temSelect's order, and each uniform
 * finds its index by binary search, so every result equals temSelect's scan.
 */
export function temSelectMany(dist: usize, cnt: i32, halfEps: f64, logCatch: f64, us: usize, m: i32, prefix: usize, out: usize): void {
  let top = logCatch;
  for (let j = 0; j < cnt; j++) top = max(top, -halfEps * load<f64>(dist + ((<usize>j) << 3)));
  let acc: f64 = 0;
  for (let j = 0; j < cnt; j++) {
    acc += Math.exp(-halfEps * load<f64>(dist + ((<usize>j) << 3)) - top);
    store<f64>(prefix + ((<usize>j) << 3), acc);
  }
  const wCatch = logCatch == -Infinity ? 0.0 : Math.exp(logCatch - top);
  const total = acc + wCatch;
  for (let i = 0; i < m; i++) {
    const target = load<f64>(us + ((<usize>i) << 3)) * total;
    const lo = firstAtLeast(prefix, cnt, target);
    store<i32>(out + ((<usize>i) << 2), lo < cnt ? lo : wCatch > 0 ? -1 : cnt - 1);
  }
}

export { uniform };
