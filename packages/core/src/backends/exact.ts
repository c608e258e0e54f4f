// Plain float64 helpers shared by both backends (reference semantics).
import { wordDistance, type Embedding } from "../embeddings/embedding.js";
import type { NearestTwoBatch } from "./backend.js";

/** Exact distance from an f64 point to word y. */
export function pointDistance(e: Embedding, p: Float64Array, po: number, y: number): number {
  const v = e.vectors,
    d = e.d,
    oy = y * d;
  let s = 0;
  for (let k = 0; k < d; k++) {
    const t = p[po + k]! - v[oy + k]!;
    s += t * t;
  }
  return Math.sqrt(s);
}

/** Exact nearest word to point p (ties to the lower id) by a full float64 scan. */
export function nearestExact(e: Embedding, p: Float64Array, po: number): number {
  let best = -1,
    bestD = Infinity;
  for (let y = 0; y < e.n; y++) {
    const dy = pointDistance(e, p, po, y);
    if (dy < bestD) {
      bestD = dy;
      best = y;
    }
  }
  return best;
}

/** The two nearest words to point p and their distances, by a full float64 scan (ties to the lower id; M6). */
export function nearestTwoExact(e: Embedding, p: Float64Array, po: number): NearestTwo {
  const best: NearestTwo = { id1: -1, d1: Infinity, id2: -1, d2: Infinity };
  for (let y = 0; y < e.n; y++) offerNearestTwo(best, y, pointDistance(e, p, po, y));
  return best;
}

/** The two nearest words to one point: w₁ at d₁ ≤ w₂ at d₂ (w₂ = -1 in a one-word vocabulary). */
export interface NearestTwo {
  id1: number;
  d1: number;
  id2: number;
  d2: number;
}

/** Keeps `best` the two smallest (distance, id) pairs offered so far. */
export function offerNearestTwo(best: NearestTwo, y: number, dy: number): void {
  if (dy < best.d1 || (dy === best.d1 && y < best.id1)) {
    best.id2 = best.id1;
    best.d2 = best.d1;
    best.id1 = y;
    best.d1 = dy;
  } else if (dy < best.d2 || (dy === best.d2 && y < best.id2)) {
    best.id2 = y;
    best.d2 = dy;
  }
}

/** Exact K nearest other words of w by a full float64 scan, sorted by (distance, id). */
export function knnRowExact(e: Embedding, w: number, K: number): { ids: Int32Array; dist: Float64Array; farthest: number; farthestId: number } {
  const dist = new Float64Array(e.n);
  let farthest = -1,
    farthestId = -1;
  for (let y = 0; y < e.n; y++) {
    const dy = y === w ? Infinity : wordDistance(e, w, y);
    dist[y] = dy;
    if (y !== w && dy > farthest) {
      farthest = dy;
      farthestId = y;
    }
  }
  const order = Int32Array.from({ length: e.n }, (_, i) => i).sort((a, b) => dist[a]! - dist[b]! || a - b);
  const ids = order.slice(0, Math.min(K, e.n - 1));
  return { ids, dist: Float64Array.from(ids, (y) => dist[y]!), farthest, farthestId };
}

export function byDistanceThenId(a: { d: number; y: number }, b: { d: number; y: number }): number {
  return a.d - b.d || a.y - b.y;
}

/** Packs `count` NearestTwo answers into a NearestTwoBatch. */
export function nearestTwoBatch(count: number, one: (i: number) => NearestTwo): NearestTwoBatch {
  const ids = new Int32Array(2 * count);
  const dists = new Float64Array(2 * count);
  for (let i = 0; i < count; i++) {
    const b = one(i);
    ids[2 * i] = b.id1;
    ids[2 * i + 1] = b.id2;
    dists[2 * i] = b.d1;
    dists[2 * i + 1] = b.d2;
  }
  return { ids, dists };
}
