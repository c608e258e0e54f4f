// The neighbour table with each pair's distance computed once (assembly/index.ts, knnBlockSym):
// d(i, j) is the same float32 value whichever row asks, so a block of rows is compared only with
// the words from its own first row on, and each value goes to both rows' shortlists. A part of
// the work (a range of query blocks, on one thread) gives a float32 shortlist for every row of
// the vocabulary; the parts' shortlists are merged per row and certified or rescanned in float64
// exactly as a plain build's are (shortlist.ts, knnRowFromShortlist), so the table is the same.
import type { Embedding } from "../embeddings/embedding.js";
import { emptyKnnResult, type KnnResult } from "./backend.js";
import { float32DistanceErrorBound, knnRowFromShortlist, SHORTLIST_EXTRA, squaredNorm } from "./shortlist.js";

/** One part's float32 shortlists: every row's kk best (squared distance, id) and its largest distance and where. */
export interface SymmetricShortlists {
  kk: number;
  /** n*kk squared distances, row w at w*kk, a max-heap (root first); +Infinity where empty. */
  heapD: Float32Array;
  heapI: Int32Array;
  rowMax: Float32Array;
  rowArg: Int32Array;
}

/** The shortlist length for a table of width K on n words (as the plain build's). */
export function symmetricShortlistLength(n: number, K: number): number {
  return Math.min(K + SHORTLIST_EXTRA, n - 1);
}

/**
 * Row ranges for `parts` threads with about equal work: a block starting at row s compares with
 * the n - s words from s on, so range i ends near n (1 - sqrt(1 - i/parts)). Each range starts
 * at a multiple of 64 (knnBlockSym needs whole panels from a block's first row).
 */
export function symmetricRanges(n: number, parts: number): [number, number][] {
  const cuts = [0];
  for (let i = 1; i < parts; i++) cuts.push(Math.min(n, Math.round((n * (1 - Math.sqrt(1 - i / parts))) / 64) * 64));
  cuts.push(n);
  const ranges: [number, number][] = [];
  for (let i = 0; i < parts; i++) if (cuts[i + 1]! > cuts[i]!) ranges.push([cuts[i]!, cuts[i + 1]!]);
  return ranges;
}

/** The exact K-NN rows of the whole vocabulary from the parts' shortlists (which together covered every block). */
export function finishSymmetric(e: Embedding, parts: SymmetricShortlists[], K: number): KnnResult {
  const res = emptyKnnResult(0, e.n, K);
  const kk = parts[0]!.kk;
  const norms = squaredNorms32(e);
  let vNormMax = 0;
  for (const x of norms) vNormMax = Math.max(vNormMax, x);
  const merge = new ShortlistMerge(parts.length * kk);
  const ids = new Int32Array(kk);
  for (let w = 0; w < e.n; w++) {
    const cut = merge.row(parts, w, ids);
    knnRowFromShortlist(e, res, w, w, ids, cut, float32DistanceErrorBound(e.d, norms[w]!, vNormMax), mergedFarthest(parts, w));
  }
  return res;
}

/** Scratch for merging one row's shortlists from several parts, allocated once. */
class ShortlistMerge {
  private readonly d: Float32Array;
  private readonly ids: Int32Array;
  private readonly order: Int32Array;
  constructor(size: number) {
    this.d = new Float32Array(size);
    this.ids = new Int32Array(size);
    this.order = new Int32Array(size);
  }

  /** Row w's kk best (squared distance, id) over all parts into `out`; returns the kk-th distance (what the merged heap's root would be). */
  row(parts: SymmetricShortlists[], w: number, out: Int32Array): number {
    const kk = out.length;
    const first = parts[0]!;
    if (parts.length === 1) {
      out.set(first.heapI.subarray(w * kk, (w + 1) * kk));
      return first.heapD[w * kk]!; // a max-heap's root is its kk-th smallest
    }
    const { d, ids, order } = this;
    let m = 0;
    for (const p of parts) for (let j = w * kk; j < (w + 1) * kk; j++) ((d[m] = p.heapD[j]!), (ids[m] = p.heapI[j]!), (order[m] = m++));
    order.sort((a, b) => d[a]! - d[b]! || ids[a]! - ids[b]!);
    for (let j = 0; j < kk; j++) out[j] = ids[order[j]!]!;
    return d[order[kk - 1]!]!;
  }
}

/** Row w's largest float32 distance over all parts, ties to the lower id (what one scan in id order finds). */
function mergedFarthest(parts: SymmetricShortlists[], w: number): number {
  let m = -Infinity,
    arg = -1;
  for (const p of parts) {
    const x = p.rowMax[w]!,
      id = p.rowArg[w]!;
    if (id >= 0 && (x > m || (x === m && id < arg))) ((m = x), (arg = id));
  }
  return arg;
}

/** Each vector's squared norm as the kernel has it: summed in float64, rounded to float32. */
function squaredNorms32(e: Embedding): Float32Array {
  return Float32Array.from({ length: e.n }, (_, w) => squaredNorm(e.vectors, w, e.d));
}
