// Plain float64 helpers shared by both backends (reference semantics).
import { wordDistance, type Embedding } from "../embeddings/embedding.js";

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
