/**
 * The Veil embedding pack, version 1. All integers little-endian.
 *
 *   offset size  field
 *   0      8     magic "VEILPACK"
 *   8      2     format version (1)
 *   10     2     vector type (1 = float32)
 *   12     4     n, number of words
 *   16     4     d, dimension
 *   20     4     K, neighbour-table width (0 = no table)
 *   24     8     d_min (f64): smallest distance between two distinct words (SPEC M4)
 *   32     8     d_max (f64): largest distance between two words
 *   40     4     metadata length in bytes (UTF-8 JSON)
 *   44     4     word-list length in bytes (UTF-8, words joined by "\n")
 *   48     32    SHA-256 of the body (everything after the 128-byte header)
 *   80     48    reserved, zero
 *   128          body: metadata, word list, zero padding to a multiple of 4,
 *                vectors (n*d float32), neighbour table (n*K uint32, each row the
 *                K nearest other words by exact float64 distance, ties to the
 *                lower id)
 */
export const PACK_MAGIC = "VEILPACK";
export const PACK_VERSION = 1;
export const HEADER_BYTES = 128;
/** Metadata key holding a hashed copy of the header's d_min and d_max (the header is outside the SHA-256). */
export const DISTANCES_KEY = "veil:distances";
export const VECTOR_FLOAT32 = 1;

export interface PackHeader {
  version: number;
  vectorType: number;
  n: number;
  d: number;
  K: number;
  dMin: number;
  dMax: number;
  metaBytes: number;
  wordBytes: number;
  sha256: Uint8Array;
}

/** Free-form provenance stored with the pack. */
export interface PackMetadata {
  name?: string;
  source?: string;
  license?: string;
  created?: string;
  [key: string]: unknown;
}

export function align4(x: number): number {
  return (x + 3) & ~3;
}

/** Body layout derived from the header; the reader checks it against the file length. */
export function bodyLayout(h: Pick<PackHeader, "n" | "d" | "K" | "metaBytes" | "wordBytes">) {
  const meta = HEADER_BYTES;
  const words = meta + h.metaBytes;
  const vectors = align4(words + h.wordBytes);
  const table = vectors + h.n * h.d * 4;
  const end = table + h.n * h.K * 4;
  return { meta, words, vectors, table, end };
}
