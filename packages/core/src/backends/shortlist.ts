// Certified float32 shortlists, shared by the WebAssembly and WebGPU backends.
// A float32 kernel proposes each query's kk nearest words; the host re-ranks them
// in float64 and accepts the answer only when every word outside the shortlist is
// provably farther: its float32 squared distance is at least `cut` (the
// shortlist's largest), so its exact one is at least cut - err. Otherwise the row
// is recomputed by a full float64 scan. Outputs are therefore exact whatever the
// kernel's summation order, FMA use or precision within the bound.
import { wordDistance, type Embedding } from "../embeddings/embedding.js";
import type { KnnResult } from "./backend.js";
import { byDistanceThenId, knnRowExact, nearestExact, nearestTwoExact, offerNearestTwo, pointDistance, type NearestTwo } from "./exact.js";

const U = 2 ** -24;

/**
 * Bound on |float32 d^2 - exact d^2| for a d-dimensional query of squared norm
 * `qNorm` (rounded from float64) against a word of squared norm at most `vNormMax`,
 * in either form (|q|^2 + |v|^2 - 2 q.v, or sum (q - v)^2), any summation order.
 */
export function float32DistanceErrorBound(d: number, qNorm: number, vNormMax: number): number {
  return 4 * (d + 4) * U * (qNorm + vNormMax);
}

/** Largest squared norm of a vocabulary vector (float64). */
export function maxSquaredNorm(e: Embedding): number {
  let m = 0;
  for (let w = 0; w < e.n; w++) {
    let s = 0;
    for (let k = 0; k < e.d; k++) s += e.vectors[w * e.d + k]! ** 2;
    m = Math.max(m, s);
  }
  return m;
}

/** Squared float64 norm of point q in `points` (q*d ..). */
export function squaredNorm(points: ArrayLike<number>, q: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += points[q * d + k]! ** 2;
  return s;
}

/** The exact nearest word to point q from its shortlist (ids outside [0, n) are empty slots). */
export function nearestFromShortlist(e: Embedding, points: Float64Array, q: number, ids: ArrayLike<number>, cut: number, err: number): number {
  let best = -1,
    bestD = Infinity;
  for (let j = 0; j < ids.length; j++) {
    const y = ids[j]!;
    if (!(y >= 0 && y < e.n)) continue;
    const dy = pointDistance(e, points, q * e.d, y);
    if (dy < bestD || (dy === bestD && y < best)) ((bestD = dy), (best = y));
  }
  const complete = ids.length >= e.n;
  return best >= 0 && (complete || bestD * bestD < cut - err) ? best : nearestExact(e, points, q * e.d);
}

/** The two exact nearest words to point q from its shortlist; a float64 rescan when the second is not certified. */
export function nearestTwoFromShortlist(e: Embedding, points: Float64Array, q: number, ids: ArrayLike<number>, cut: number, err: number): NearestTwo {
  const best: NearestTwo = { id1: -1, d1: Infinity, id2: -1, d2: Infinity };
  for (let j = 0; j < ids.length; j++) {
    const y = ids[j]!;
    if (y >= 0 && y < e.n) offerNearestTwo(best, y, pointDistance(e, points, q * e.d, y));
  }
  const complete = ids.length >= e.n;
  return best.id2 >= 0 && (complete || best.d2 * best.d2 < cut - err) ? best : nearestTwoExact(e, points, q * e.d);
}

/** Fills row r of `res` (word w's K nearest other words) from w's shortlist, or by a float64 rescan. */
export function knnRowFromShortlist(
  e: Embedding,
  res: KnnResult,
  r: number,
  w: number,
  ids: ArrayLike<number>,
  cut: number,
  err: number,
  farthestId: number,
): void {
  const K = res.K;
  const cands: { d: number; y: number }[] = [];
  for (let j = 0; j < ids.length; j++) {
    const y = ids[j]!;
    if (y >= 0 && y < e.n && y !== w) cands.push({ d: wordDistance(e, w, y), y });
  }
  cands.sort(byDistanceThenId);
  const complete = ids.length >= e.n - 1;
  const certified = cands.length >= K && (complete || cands[K - 1]!.d ** 2 < cut - err) && farthestId >= 0 && farthestId < e.n;
  if (certified) {
    for (let j = 0; j < K; j++) res.ids[r * K + j] = cands[j]!.y;
    res.nearest[r] = cands[0]!.d;
    res.farthest[r] = wordDistance(e, w, farthestId);
    res.farthestId[r] = farthestId;
  } else {
    const x = knnRowExact(e, w, K);
    res.ids.set(x.ids, r * K);
    res.nearest[r] = x.dist[0]!;
    res.farthest[r] = x.farthest;
    res.farthestId[r] = x.farthestId;
    res.rescanned++;
  }
}

/** Shortlist lengths both float32 backends use: K + SHORTLIST_EXTRA candidates per table row, NEAREST_SHORTLIST per nearest-word query. */
export const SHORTLIST_EXTRA = 16;
export const NEAREST_SHORTLIST = 8;

/**
 * Makes a float32 distance row exact where the probability mass is (M2 and M3:
 * docs/mechanisms.md, M2): the word itself at 0 and its table neighbours at
 * their float64 distances (`neighbourDistances`, the backend's cached ones).
 * The row holds the columns [from, n) (row[j] is word from + j).
 */
export function exactWhereTheMassIs(e: Embedding, w: number, row: Float64Array, neighbourDistances: (w: number, k: number) => Float64Array, from = 0): void {
  if (w >= from) row[w - from] = 0;
  if (!e.neighbours) return;
  const nd = neighbourDistances(w, e.K);
  for (let j = 0; j < e.K; j++) {
    const y = e.neighbours[w * e.K + j]!;
    if (y >= from) row[y - from] = nd[j]!;
  }
}
