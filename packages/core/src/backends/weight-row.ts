// M2's and M3's weights over the whole vocabulary, held as block sums (docs/mechanisms.md, M2,
// "The weights kernel"). A draw walks the block sums to its block and only then looks at that
// block's 64 weights, so a word costs one pass that sums the weights and never a pass that
// stores 50,000 of them; the exact law asks for every weight and gets them block by block.
import type { Backend } from "./backend.js";

/** Words per block: assembly/weights.ts BLOCK. */
export const WEIGHT_BLOCK = 64;

/**
 * The smallest exponent of a weight: exp(−708) is in float64's normal range. Every word keeps a
 * weight of at least e^−708, so no output is impossible for one input and possible for a
 * neighbouring one (an unbounded privacy loss); assembly/weights.ts X_FLOOR is the same.
 */
export const WEIGHT_EXPONENT_FLOOR = -708;

/** exp(−scale·d) for d within `radius`, else 0, floored as WEIGHT_EXPONENT_FLOOR says. */
export function distanceWeight(d: number, scale: number, radius: number): number {
  return d <= radius ? Math.exp(Math.max(-scale * d, WEIGHT_EXPONENT_FLOOR)) : 0;
}

/**
 * One word's weights over the vocabulary, w(y) = exp(−scale·d(w, y)) for d within the
 * radius and 0 beyond it, valid only during the callback that hands it out.
 */
export interface WeightRow {
  /** Vocabulary size. */
  readonly n: number;
  /** The sum of the weights, block sums added in id order. */
  readonly total: number;
  /** How many words are within the radius (every word when it is infinite). */
  readonly inside: number;
  /**
   * Inverse CDF in id order: the first word whose running weight reaches `target`
   * (0 <= target <= total), never a word of weight 0.
   */
  pick(target: number): number;
  /** The r-th word (0-based, ascending id) outside the radius, 0 <= r < n − inside. */
  nthOutside(r: number): number;
  /** Every weight, for the exact law. */
  weights(): Float64Array;
}

/** A WeightRow from each block's sum and count within the radius, and a way to read one block's weights. */
export class BlockedWeightRow implements WeightRow {
  readonly total: number;
  readonly inside: number;
  private readonly scratch = new Float64Array(WEIGHT_BLOCK);

  /** `readBlock(b, out)` writes block b's WEIGHT_BLOCK weights (0 past the end) into `out`. */
  constructor(
    readonly n: number,
    private readonly sums: Float64Array,
    private readonly counts: Int32Array,
    private readonly readBlock: (b: number, out: Float64Array) => void,
  ) {
    let total = 0,
      inside = 0;
    for (let b = 0; b < sums.length; b++) ((total += sums[b]!), (inside += counts[b]!));
    this.total = total;
    this.inside = inside;
  }

  pick(target: number): number {
    let acc = 0,
      lastBlock = -1;
    for (let b = 0; b < this.sums.length; b++) {
      const s = this.sums[b]!;
      if (!(s > 0)) continue;
      lastBlock = b;
      if (acc + s >= target) return this.pickInBlock(b, acc, target);
      acc += s;
    }
    return this.pickInBlock(lastBlock, acc, Infinity); // target above the sum by rounding: the last positive weight
  }

  /** The word of block b where the running weight, from `acc`, reaches target (else the block's last positive weight). */
  private pickInBlock(b: number, acc: number, target: number): number {
    const w = this.block(b);
    let last = -1;
    for (let j = 0; j < WEIGHT_BLOCK; j++) {
      if (!(w[j]! > 0)) continue;
      last = j;
      acc += w[j]!;
      if (acc >= target) return b * WEIGHT_BLOCK + j;
    }
    return b * WEIGHT_BLOCK + last;
  }

  nthOutside(r: number): number {
    for (let b = 0; b < this.sums.length; b++) {
      const outside = Math.min(WEIGHT_BLOCK, this.n - b * WEIGHT_BLOCK) - this.counts[b]!;
      if (r >= outside) {
        r -= outside;
        continue;
      }
      const w = this.block(b);
      for (let j = 0; j < WEIGHT_BLOCK; j++) if (w[j] === 0 && r-- === 0) return b * WEIGHT_BLOCK + j;
    }
    throw new RangeError(`nthOutside(${r}): fewer words outside the radius`);
  }

  weights(): Float64Array {
    const all = new Float64Array(this.sums.length * WEIGHT_BLOCK);
    for (let b = 0; b < this.sums.length; b++) all.set(this.block(b), b * WEIGHT_BLOCK);
    return all.subarray(0, this.n);
  }

  private block(b: number): Float64Array {
    this.readBlock(b, this.scratch);
    return this.scratch;
  }
}

/**
 * `forEachWeightRow` from a backend's float64 distance rows, with distanceWeight per word: the
 * JS backend, the WebGPU backend's prefetched rows, and WebAssembly past the kernel's floor.
 */
export function forEachWeightRowFromDistances(
  backend: Pick<Backend, "forEachDistanceRow">,
  ids: Int32Array,
  scale: number,
  radius: number,
  fn: (i: number, row: WeightRow) => void,
): void {
  backend.forEachDistanceRow(ids, (i, row) => fn(i, weightRowFromDistances(row, scale, radius)));
}

/** A WeightRow from float64 distances (the JS and WebGPU backends), with distanceWeight per word. */
export function weightRowFromDistances(row: Float64Array, scale: number, radius: number): WeightRow {
  const n = row.length;
  const nBlocks = Math.ceil(n / WEIGHT_BLOCK);
  const w = new Float64Array(nBlocks * WEIGHT_BLOCK);
  const sums = new Float64Array(nBlocks);
  const counts = new Int32Array(nBlocks);
  for (let y = 0; y < n; y++) {
    const x = (w[y] = distanceWeight(row[y]!, scale, radius));
    const b = (y / WEIGHT_BLOCK) | 0;
    sums[b] = sums[b]! + x;
    if (x > 0) counts[b]!++;
  }
  return new BlockedWeightRow(n, sums, counts, (b, out) => out.set(w.subarray(b * WEIGHT_BLOCK, (b + 1) * WEIGHT_BLOCK)));
}

/** Words whose weights replace the kernel's: ids and their weights from float64-exact distances. */
export interface ExactWeights {
  ids: Int32Array;
  weights: Float64Array;
}

/**
 * A BlockedWeightRow from a kernel's block sums and blocks (float32 distances) with the
 * weights of `exact.ids` replaced by `exact.weights`: each such block's sum and count are
 * corrected by the difference, and reading the block overrides its entries.
 */
export function withExactWeights(
  n: number,
  sums: Float64Array,
  counts: Int32Array,
  readKernelBlock: (b: number, out: Float64Array) => void,
  exact: ExactWeights,
): BlockedWeightRow {
  const readBlock = (b: number, out: Float64Array): void => {
    readKernelBlock(b, out);
    exact.ids.forEach((y, j) => {
      if (((y / WEIGHT_BLOCK) | 0) === b) out[y - b * WEIGHT_BLOCK] = exact.weights[j]!;
    });
  };
  const kernel = new Float64Array(WEIGHT_BLOCK);
  exact.ids.forEach((y, j) => {
    const b = (y / WEIGHT_BLOCK) | 0;
    readKernelBlock(b, kernel);
    const was = kernel[y - b * WEIGHT_BLOCK]!,
      now = exact.weights[j]!;
    sums[b] = Math.max(0, sums[b]! + (now - was));
    counts[b] = counts[b]! + (now > 0 ? 1 : 0) - (was > 0 ? 1 : 0);
  });
  return new BlockedWeightRow(n, sums, counts, readBlock);
}
