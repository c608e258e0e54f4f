// The reference backend: plain TypeScript, float64 everywhere, no SIMD. It is the
// fallback when WebAssembly is unavailable and the oracle the WASM backend is
// tested against (same seeded stream, same outputs).
import type { Embedding } from "../embeddings/embedding.js";
import { wordDistance } from "../embeddings/embedding.js";
import { cryptoSource, type RandomSource } from "../random/source.js";
import { UniformStream } from "../random/uniform-stream.js";
import { laplaceNoise } from "../random/samplers.js";
import { emptyKnnResult, type Backend, type GumbelSamplerParams, type KnnProgress, type KnnResult, type NearestTwoBatch } from "./backend.js";
import { gumbelRace } from "./gumbel-race.js";
import { forEachWeightRowFromDistances, WEIGHT_EXPONENT_FLOOR, type WeightRow } from "./weight-row.js";
import { knnRowExact, nearestExact, nearestTwoBatch, nearestTwoExact } from "./exact.js";

/** The plain TypeScript backend: the reference the others are tested against, and the last fallback. */
export class JsBackend implements Backend {
  readonly name = "js" as const;
  private readonly stream: UniformStream;
  private readonly distCache: Float64Array | null;
  private scaleCache: Float64Array | null = null;
  private scaleB = NaN;

  constructor(
    readonly embedding: Embedding,
    source: RandomSource = cryptoSource(),
  ) {
    this.stream = new UniformStream(source);
    this.distCache = embedding.neighbours ? new Float64Array(embedding.n * embedding.K).fill(NaN) : null;
  }

  setRandomSource(source: RandomSource): void {
    this.stream.source = source;
    this.stream.reset();
  }

  uniforms(count: number): Float64Array {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = this.stream.next();
    return out;
  }

  laplaceNoise(epsilon: number): Float64Array {
    return laplaceNoise(this.stream, this.embedding.d, epsilon);
  }

  nearestWords(points: Float64Array, count: number): Int32Array {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = nearestExact(this.embedding, points, i * this.embedding.d);
    return out;
  }

  nearestTwo(points: Float64Array, count: number): NearestTwoBatch {
    return nearestTwoBatch(count, (i) => nearestTwoExact(this.embedding, points, i * this.embedding.d));
  }

  neighbourDistances(w: number, k: number): Float64Array {
    const out = new Float64Array(k);
    if (!this.embedding.neighbours || !this.distCache) return out;
    for (let j = 0; j < k; j++) out[j] = this.neighbourDistance(w, j);
    return out;
  }

  /** The exact distance from w to its table neighbour j, through the cache. */
  private neighbourDistance(w: number, j: number): number {
    const e = this.embedding;
    const slot = w * e.K + j;
    let dy = this.distCache![slot]!;
    if (Number.isNaN(dy)) this.distCache![slot] = dy = wordDistance(e, w, e.neighbours![slot]!);
    return dy;
  }

  gumbelBatch(ids: Int32Array, p: GumbelSamplerParams): Int32Array {
    const e = this.embedding;
    const cache = this.scaleCacheFor(p.b);
    const scaleOf = (w: number, j: number): number => {
      const slot = w * e.K + j;
      let c = cache[slot]!;
      if (c === 0) cache[slot] = c = Math.exp(this.neighbourDistance(w, j) / p.b);
      return c;
    };
    return gumbelRace(e, this.stream, ids, p, scaleOf);
  }

  /** exp(d/b) per table slot for the latest b (0 = not computed; c >= 1), cleared when b changes. */
  private scaleCacheFor(b: number): Float64Array {
    if (!this.scaleCache) this.scaleCache = new Float64Array(this.embedding.n * this.embedding.K);
    else if (this.scaleB !== b) this.scaleCache.fill(0);
    this.scaleB = b;
    return this.scaleCache;
  }

  forEachDistanceRow(ids: Int32Array, fn: (i: number, row: Float64Array) => void, from = 0): void {
    const e = this.embedding;
    const row = new Float64Array(e.n - from);
    ids.forEach((w, i) => {
      for (let y = from; y < e.n; y++) row[y - from] = y === w ? 0 : wordDistance(e, w, y);
      fn(i, row);
    });
  }

  forEachWeightRow(ids: Int32Array, scale: number, radius: number, fn: (i: number, row: WeightRow) => void): void {
    forEachWeightRowFromDistances(this, ids, scale, radius, fn);
  }

  expSample(row: Float64Array, scale: number, u: number): number {
    return expSampleJs(row, scale, u);
  }

  expSampleMany(row: Float64Array, scale: number, us: Float64Array): Int32Array {
    return Int32Array.from(us, (u) => expSampleJs(row, scale, u));
  }

  temSelectMany(dists: Float64Array, halfEps: number, logCatch: number, us: Float64Array): Int32Array {
    return Int32Array.from(us, (u) => temSelectJs(dists, halfEps, logCatch, u));
  }

  temSelect(dists: Float64Array, halfEps: number, logCatch: number, u: number): number {
    return temSelectJs(dists, halfEps, logCatch, u);
  }

  knn(K: number, rowStart: number, rowEnd: number, onProgress?: KnnProgress): KnnResult {
    const rows = rowEnd - rowStart;
    const res = emptyKnnResult(rowStart, rows, K);
    for (let r = 0; r < rows; r++) {
      const x = knnRowExact(this.embedding, rowStart + r, K);
      res.ids.set(x.ids, r * K);
      res.nearest[r] = x.dist[0]!;
      res.farthest[r] = x.farthest;
      res.farthestId[r] = x.farthestId;
      if (onProgress && (r & 255) === 255) onProgress(r + 1, rows);
    }
    onProgress?.(rows, rows);
    return res;
  }

  dispose(): void {}
}

/** The twin of assembly expSample: one uniform against the cumulative weights. */
export function expSampleJs(row: Float64Array, scale: number, u: number): number {
  const n = row.length;
  let dmin = Infinity;
  for (let j = 0; j < n; j++) dmin = Math.min(dmin, row[j]!);
  const weights = new Float64Array(n);
  let total = 0;
  for (let j = 0; j < n; j++) {
    const w = Math.exp(Math.max(-scale * (row[j]! - dmin), WEIGHT_EXPONENT_FLOOR));
    weights[j] = w;
    total += w;
  }
  const target = u * total;
  let acc = 0,
    last = 0;
  for (let j = 0; j < n; j++) {
    const w = weights[j]!;
    if (w > 0) last = j;
    acc += w;
    if (acc >= target && w > 0) return j;
  }
  return last;
}

/** The twin of assembly temSelect. */
export function temSelectJs(dists: Float64Array, halfEps: number, logCatch: number, u: number): number {
  const cnt = dists.length;
  let top = logCatch;
  for (let j = 0; j < cnt; j++) top = Math.max(top, -halfEps * dists[j]!);
  let total = 0;
  for (let j = 0; j < cnt; j++) total += Math.exp(-halfEps * dists[j]! - top);
  const wCatch = logCatch === -Infinity ? 0 : Math.exp(logCatch - top);
  total += wCatch;
  const target = u * total;
  let acc = 0;
  for (let j = 0; j < cnt; j++) {
    acc += Math.exp(-halfEps * dists[j]! - top);
    if (acc >= target) return j;
  }
  return wCatch > 0 ? -1 : cnt - 1;
}
