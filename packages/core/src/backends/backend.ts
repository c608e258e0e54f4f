import type { Embedding } from "../embeddings/embedding.js";
import type { RandomSource } from "../random/source.js";
import type { WeightRow } from "./weight-row.js";
import type { TextKernel } from "../text/text-kernel.js";

/** The backends: WebGPU kernels, WebAssembly SIMD, plain TypeScript. */
export type BackendName = "webgpu" | "wasm" | "js";

/** Parameters of the M4 sampler, computed once per (pack, epsilon) by mechanisms/truncated-gumbel.ts. */
export interface GumbelSamplerParams {
  /** Cumulative Poisson(lambda) table over k = 0..K, last entry 1 (the cap at K). */
  poissonCdf: Float64Array;
  /** Gumbel scale b. */
  b: number;
  /** F(-m) and F(m) - F(-m), F(x) = exp(-e^(-x/b)), m = d_max. */
  fLow: number;
  fRange: number;
  /**
   * Where the sampler's tangent of -ln touches, inside (F(-m), F(m)): it bounds each
   * candidate's key from below, so most candidates need no logarithm (docs/mechanisms.md, M4).
   * Changes only the speed, never an output.
   */
  tangentAt: number;
}

/** The two nearest words to each of `count` points: ids[2i] at dists[2i] ≤ ids[2i+1] at dists[2i+1]. */
export interface NearestTwoBatch {
  ids: Int32Array;
  dists: Float64Array;
}

/** Exact K-nearest-neighbour rows for a range of vocabulary words. */
export interface KnnResult {
  rowStart: number;
  rows: number;
  K: number;
  /** rows*K ids, each row sorted by exact float64 distance, ties to the lower id. */
  ids: Int32Array;
  /** Exact float64 distance to each row's nearest other word. */
  nearest: Float64Array;
  /** Each row's largest distance (float64 at the float32 arg-max) and where it is. */
  farthest: Float64Array;
  farthestId: Int32Array;
  /** Rows whose float32 shortlist could not certify exactness and were rescanned in float64. */
  rescanned: number;
}

/** A KnnResult for `rows` rows starting at `rowStart`, ready to fill. */
export function emptyKnnResult(rowStart: number, rows: number, K: number): KnnResult {
  return {
    rowStart,
    rows,
    K,
    ids: new Int32Array(rows * K),
    nearest: new Float64Array(rows),
    farthest: new Float64Array(rows),
    farthestId: new Int32Array(rows),
    rescanned: 0,
  };
}

export type KnnProgress = (done: number, total: number) => void;

/**
 * The compute primitives a mechanism needs. Two implementations: `wasm`
 * (AssemblyScript SIMD, the default) and `js` (plain TypeScript, the reference
 * and the fallback). With the same seeded random source both draw the same
 * uniforms in the same order and give the same outputs.
 */
export interface Backend {
  readonly name: BackendName;
  readonly embedding: Embedding;
  setRandomSource(source: RandomSource): void;
  /** `count` uniforms in (0, 1). */
  uniforms(count: number): Float64Array;
  /** One M1 noise vector (length d). */
  laplaceNoise(epsilon: number): Float64Array;
  /** The exact nearest vocabulary word (float64, ties to the lower id) to each of `count` points (count*d). */
  nearestWords(points: Float64Array, count: number): Int32Array;
  /** The two nearest vocabulary words (exact float64, ties to the lower id) to each of `count` points, with their distances (M6). */
  nearestTwo(points: Float64Array, count: number): NearestTwoBatch;
  /** M4 for every id. */
  gumbelBatch(ids: Int32Array, p: GumbelSamplerParams): Int32Array;
  /** Exact distances from w to its first k table neighbours. */
  neighbourDistances(w: number, k: number): Float64Array;
  /**
   * Float64 distances from each word to the vocabulary words [from, n) (all of them
   * by default), one row at a time: row[j] = d(w, from + j). The row is only valid
   * during the callback. Entries for the word itself (0) and its table neighbours
   * are exact; see the backend for the rest. A column's value does not depend on `from`.
   */
  forEachDistanceRow(ids: Int32Array, fn: (i: number, row: Float64Array) => void, from?: number): void;
  /**
   * M2's and M3's weights for each word: exp(−scale·d(w, y)) over the vocabulary for d
   * within `radius` (Infinity for all), else 0 (docs/mechanisms.md, M2, "The weights
   * kernel"). The row is only valid during the callback; the sampler and the exact law
   * read the same weights.
   */
  forEachWeightRow(ids: Int32Array, scale: number, radius: number, fn: (i: number, row: WeightRow) => void): void;
  /** One draw from P(j) proportional to exp(-scale * row[j]) with uniform u (docs/mechanisms.md, M2). */
  expSample(row: Float64Array, scale: number, u: number): number;
  /** expSample for each of `us` against one row: the same results, with the weights computed once. */
  expSampleMany(row: Float64Array, scale: number, us: Float64Array): Int32Array;
  /** temSelect for each of `us` against the same candidates: the same results, the weights computed once. */
  temSelectMany(dists: Float64Array, halfEps: number, logCatch: number, us: Float64Array): Int32Array;
  /** TEM selection (docs/mechanisms.md, M3): index into `dists`, or -1 for the catch-all. */
  temSelect(dists: Float64Array, halfEps: number, logCatch: number, u: number): number;
  /** Exact K nearest other words of rows [rowStart, rowEnd). */
  knn(K: number, rowStart: number, rowEnd: number, onProgress?: KnnProgress): KnnResult;
  /** Kernels that run asynchronously (WebGPU); absent on synchronous backends. */
  readonly async?: AsyncKernels;
  /** The backend's own pass over a text's words (WebAssembly); absent where perturb() handles text in JavaScript. */
  readonly text?: TextKernel;
  dispose(): void;
}

/**
 * Whole-batch kernels of an asynchronous backend. `privatizeIdsAsync` runs them
 * for a whole text in one dispatch before the synchronous mechanism code, which
 * then reads their results through the ordinary `Backend` methods.
 */
export interface AsyncKernels {
  /** As `Backend.nearestWords`, for every point in one dispatch. */
  nearestWords(points: Float64Array, count: number): Promise<Int32Array>;
  /** Computes the distance rows of `ids` ahead; `forEachDistanceRow` serves them until `releaseRows()`. */
  prefetchRows(ids: Int32Array): Promise<void>;
  releaseRows(): void;
  /** As `Backend.knn`. */
  knn(K: number, rowStart: number, rowEnd: number, onProgress?: KnnProgress): Promise<KnnResult>;
  /** Set when the device was lost: every kernel has fallen back to the synchronous backend. */
  readonly lost: string | null;
}
