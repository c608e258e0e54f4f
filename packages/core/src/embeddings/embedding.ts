import type { PackMetadata, TableCoding, VectorType } from "./pack-format.js";

/**
 * A public word embedding: the vocabulary V in frequency order, its float32
 * vectors (for a quantized pack, the values its stored vectors mean), and (optionally) the exact K-nearest-neighbour table. Immutable once
 * built; shared by every backend.
 */
export interface Embedding {
  readonly n: number;
  readonly d: number;
  readonly words: readonly string[];
  /** n*d float32, row-major. */
  readonly vectors: Float32Array;
  /** n*K uint32 (stored as Int32Array: ids < 2^31), row w = w's K nearest other words. */
  readonly neighbours: Int32Array | null;
  readonly K: number;
  /** Smallest distance between two distinct words and largest between any two (docs/mechanisms.md, M4). */
  readonly dMin: number;
  readonly dMax: number;
  readonly metadata: PackMetadata;
  /** SHA-256 of the pack body, hex (identifies the pack for caches and results). */
  readonly sha256: string;
  /** word -> id (lower-case lookup). */
  readonly index: ReadonlyMap<string, number>;
  /**
   * How the pack it was read from stores it (absent for an embedding built in
   * memory). `vectors` always holds the float32 values the stored ones mean.
   */
  readonly stored?: { readonly vectorType: VectorType; readonly idBytes: number; readonly formatVersion: number; readonly tableCoding: TableCoding };
}

/**
 * Whether the embedding has a neighbour table: the one test for it (`neighbours`
 * null and K = 0 mean the same; an embedding with K = 0 and an empty array has none either).
 */
export function hasTable(e: Pick<Embedding, "neighbours" | "K">): e is Pick<Embedding, "K"> & { readonly neighbours: Int32Array } {
  return e.neighbours !== null && e.K > 0;
}

export function makeIndex(words: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  words.forEach((w, i) => m.set(w, i));
  return m;
}

/** Exact float64 Euclidean distance between words a and b. */
export function wordDistance(e: Pick<Embedding, "vectors" | "d">, a: number, b: number): number {
  const { vectors: v, d } = e;
  let s = 0;
  const oa = a * d,
    ob = b * d;
  for (let k = 0; k < d; k++) {
    const t = v[oa + k]! - v[ob + k]!;
    s += t * t;
  }
  return Math.sqrt(s);
}
