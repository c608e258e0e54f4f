// M10: multivariate Laplace with rank-based post-processing (docs/mechanisms.md,
// M10; Asghar, Carpentier, Zhao, Kaafar, PETS 2026). M1's nearest word to the
// noisy point is the pivot x*; the output is the word of rank R around x* (rank 0
// is x*, then by distance from x*, ties to the lower id) with
// P(R = r) ∝ exp(−c·ε·r), r = 0 … n − 1, drawn by inversion with one uniform.
// Ranks up to the table width read the neighbour table; a larger rank selects the
// R-th nearest word in one float64 pass. M1's guarantee: everything after the noisy
// point is post-processing of public data.
import type { Backend } from "../backends/backend.js";
import { hasTable, wordDistance, type Embedding } from "../embeddings/embedding.js";
import { laplacePoints } from "./laplace.js";

/** Metadata key of a pack's own rank constant c (a number), written by `veil pack --rank-c`. */
export const RANK_C_KEY = "veil:rank-c";
/** c when neither the options nor the pack give one: the value reported for GloVe 300d. */
export const FALLBACK_RANK_C = 0.04;

/** The c M10 uses on this pack: the option, else the pack's metadata, else FALLBACK_RANK_C. */
export function rankConstant(e: Embedding, c?: number): number {
  const stored = e.metadata[RANK_C_KEY];
  return c ?? (typeof stored === "number" && stored > 0 && Number.isFinite(stored) ? stored : FALLBACK_RANK_C);
}

/** R for uniform u: the smallest r with P(R ≤ r) ≥ u under P(R = r) ∝ exp(−c·ε·r), r < n. */
export function rankFromUniform(u: number, ce: number, n: number): number {
  const mass = -Math.expm1(-ce * n); // 1 − q^n, q = exp(−cε)
  const x = Math.log1p(-u * mass) / -ce;
  return Math.min(n - 1, Math.max(0, Math.ceil(x) - 1));
}

/** P(R = r) for r = 0 … n − 1 (the post-processing's law given the pivot). */
export function rankLaw(ce: number, n: number): Float64Array {
  const mass = -Math.expm1(-ce * n);
  return Float64Array.from({ length: n }, (_, r) => (Math.exp(-ce * r) * -Math.expm1(-ce)) / mass);
}

/** The word of rank r around `pivot` (rank 0 is the pivot itself). */
export function wordOfRank(e: Embedding, pivot: number, r: number): number {
  if (r === 0) return pivot;
  if (hasTable(e) && r <= e.K) return e.neighbours[pivot * e.K + r - 1]!;
  return nthNearestOther(e, pivot, r - 1);
}

/** The post-processing for pivots already chosen: one uniform per word, then each word's rank. */
export function rankOutputs(backend: Backend, pivots: Int32Array, epsilon: number, c: number): Int32Array {
  const e = backend.embedding;
  const us = backend.uniforms(pivots.length);
  return pivots.map((x, i) => wordOfRank(e, x, rankFromUniform(us[i]!, c * epsilon, e.n)));
}

/** M10 for every id: M1's noise and pivot, then the rank. */
export function laplaceRankMechanism(backend: Backend, ids: Int32Array, epsilon: number, c: number): Int32Array {
  const pivots = backend.nearestWords(laplacePoints(backend, ids, epsilon), ids.length);
  return rankOutputs(backend, pivots, epsilon, c);
}

/** The j-th (0-based) nearest word to w other than w, by (exact float64 distance, id): quickselect over one row. */
function nthNearestOther(e: Embedding, w: number, j: number): number {
  const ids = new Int32Array(e.n - 1);
  const dist = new Float64Array(e.n);
  for (let y = 0, k = 0; y < e.n; y++) if (y !== w) ((ids[k++] = y), (dist[y] = wordDistance(e, w, y)));
  const before = (a: number, b: number) => dist[a]! < dist[b]! || (dist[a] === dist[b] && a < b);
  let lo = 0,
    hi = ids.length - 1;
  while (lo < hi) {
    const pivot = ids[(lo + hi) >>> 1]!;
    let i = lo,
      k = hi;
    while (i <= k) {
      while (before(ids[i]!, pivot)) i++;
      while (before(pivot, ids[k]!)) k--;
      if (i <= k) {
        const t = ids[i]!;
        ids[i++] = ids[k]!;
        ids[k--] = t;
      }
    }
    if (j <= k) hi = k;
    else if (j >= i) lo = i;
    else break;
  }
  return ids[j]!;
}
