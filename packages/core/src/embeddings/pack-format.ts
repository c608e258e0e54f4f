/**
 * The Veil embedding pack, versions 1, 2 and 3. All integers little-endian.
 *
 *   offset size  field
 *   0      8     magic "VEILPACK"
 *   8      2     format version (1, 2 or 3)
 *   10     2     vector type: 1 = float32, 2 = float16, 3 = int8 (2 and 3 from version 2)
 *   12     4     n, number of words
 *   16     4     d, dimension
 *   20     4     K, neighbour-table width (0 = no table)
 *   24     8     d_min (f64): smallest distance between two distinct words (docs/mechanisms.md, M4)
 *   32     8     d_max (f64): largest distance between two words
 *   40     4     metadata length in bytes (UTF-8 JSON)
 *   44     4     word-list length in bytes (UTF-8, words joined by "\n")
 *   48     32    SHA-256 of the body (everything after the 128-byte header)
 *   80     1     versions 2 and 3: bytes per neighbour id, 2 (uint16, when n <= 65,536) or 4 (uint32);
 *                version 1: 0, meaning 4
 *   81     1     version 3: table coding, 0 = ids in order, 1 = sets (table-codec.ts); else 0
 *   82     2     reserved, zero
 *   84     4     version 3 with table coding 1: the coded table's length in bytes; else 0
 *   88     40    reserved, zero
 *   128          body: metadata, word list, zero padding to a multiple of 4, for
 *                int8 the d float32 scales (one per dimension), the vectors (n*d
 *                values of the vector type), zero padding to a multiple of 4, the
 *                neighbour table (n*K ids, each row the K nearest other words by
 *                exact float64 distance on the stored vectors, ties to the lower id;
 *                with table coding 1, those rows coded as sets: table-codec.ts)
 *
 * A stored vector means exactly one float32 vector, the pack's embedding: float16
 * widened exactly, int8 as `Math.fround(q * scale[j])` (see vector-codec.ts). Every
 * distance, the table, d_min and d_max are computed on those values.
 */
export const PACK_MAGIC = "VEILPACK";
/** The version `writePack` writes. */
export const PACK_VERSION = 3;
/** The versions `readPack` reads. */
export const PACK_VERSIONS: readonly number[] = [1, 2, 3];
export const HEADER_BYTES = 128;
/** Metadata key holding a hashed copy of the header's d_min and d_max (the header is outside the SHA-256). */
export const DISTANCES_KEY = "veil:distances";
export const VECTOR_FLOAT32 = 1;
export const VECTOR_FLOAT16 = 2;
export const VECTOR_INT8 = 3;

/** How a pack stores its neighbour table: ids in distance order, or each row's set (table-codec.ts). */
export type TableCoding = "ids" | "sets";
/** The header's code for each table coding. */
export const TABLE_CODINGS: Record<TableCoding, number> = { ids: 0, sets: 1 };

/** How a pack stores its vectors. */
export type VectorType = "f32" | "f16" | "int8";
/** The header's code for each vector type, and the bytes one value takes. */
export const VECTOR_TYPES: Record<VectorType, { code: number; bytes: number }> = {
  f32: { code: VECTOR_FLOAT32, bytes: 4 },
  f16: { code: VECTOR_FLOAT16, bytes: 2 },
  int8: { code: VECTOR_INT8, bytes: 1 },
};

/** The vector type a header code names, or undefined. */
export function vectorTypeOf(code: number): VectorType | undefined {
  return (Object.keys(VECTOR_TYPES) as VectorType[]).find((t) => VECTOR_TYPES[t].code === code);
}

/** The fixed 128-byte header of a pack, as `readPackHeader` parses it (layout in this file's first comment). */
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
  /** Bytes per neighbour id: 2 or 4 (always 4 in version 1). */
  idBytes: number;
  /** How the table is stored ("ids" before version 3). */
  tableCoding: TableCoding;
  /** With "sets": the coded table's length in bytes; else 0. */
  tableBytes: number;
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
export function bodyLayout(
  h: Pick<PackHeader, "n" | "d" | "K" | "metaBytes" | "wordBytes"> & Partial<Pick<PackHeader, "vectorType" | "idBytes" | "tableCoding" | "tableBytes">>,
) {
  const type = vectorTypeOf(h.vectorType ?? VECTOR_FLOAT32) ?? "f32";
  const meta = HEADER_BYTES;
  const words = meta + h.metaBytes;
  const scales = align4(words + h.wordBytes);
  const vectors = scales + (type === "int8" ? h.d * 4 : 0);
  const table = align4(vectors + h.n * h.d * VECTOR_TYPES[type].bytes);
  const end = table + (h.tableCoding === "sets" ? (h.tableBytes ?? 0) : h.n * h.K * (h.idBytes ?? 4));
  return { meta, words, scales, vectors, table, end };
}

/** The narrowest neighbour-id width for n words. */
export function idBytesFor(n: number): 2 | 4 {
  return n <= 65_536 ? 2 : 4;
}
