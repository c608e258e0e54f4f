import { InvalidOptionError } from "../errors.js";
import {
  DISTANCES_KEY,
  HEADER_BYTES,
  PACK_MAGIC,
  PACK_VERSION,
  TABLE_CODINGS,
  VECTOR_TYPES,
  bodyLayout,
  idBytesFor,
  type PackMetadata,
  type TableCoding,
} from "./pack-format.js";
import { decodeTableSets, encodeTableSets } from "./table-codec.js";
import { sha256 } from "./sha256.js";
import type { EncodedVectors } from "./vector-codec.js";

/** Everything a pack holds, for `writePack`. */
export interface PackContents {
  words: readonly string[];
  d: number;
  /**
   * float32 vectors (stored as float32), or vectors from `encodeVectors` (stored
   * as their type). The table, d_min and d_max must be those of the values the
   * pack will hold: `encodeVectors(...).values` (the CLI's pack builder does so).
   */
  vectors: Float32Array | EncodedVectors;
  neighbours: Int32Array | null;
  K: number;
  dMin: number;
  dMax: number;
  metadata?: PackMetadata;
  /**
   * How to store the table: "ids" (default: ids in the given order) or "sets"
   * (table-codec.ts: about a quarter smaller on the wire with brotli). With
   * "sets" the reader recomputes each row's order from the vectors, so the rows
   * must be in that order (exact float64 distance, ties to the lower id), as every
   * table built by Veil is; the writer checks that by decoding what it wrote.
   */
  tableCoding?: TableCoding;
}

/** Serialises a pack (format version 3, see pack-format.ts): neighbour ids as uint16 when n <= 65,536, or the table as sets. */
export async function writePack(c: PackContents): Promise<Uint8Array> {
  const n = c.words.length;
  const enc: EncodedVectors =
    c.vectors instanceof Float32Array
      ? { type: "f32", data: new Uint8Array(c.vectors.buffer, c.vectors.byteOffset, c.vectors.byteLength), values: c.vectors }
      : c.vectors;
  if (enc.values.length !== n * c.d) throw new InvalidOptionError(`vectors has ${enc.values.length} values, expected n*d = ${n * c.d}`);
  if (c.K > 0 && (!c.neighbours || c.neighbours.length !== n * c.K)) throw new InvalidOptionError(`the neighbour table must have n*K = ${n * c.K} entries`);
  for (const w of c.words) if (w.length === 0 || w.includes("\n")) throw new InvalidOptionError("words must be non-empty and contain no newline");
  const text = new TextEncoder();
  // d_min and d_max sit in the header, which the SHA-256 does not cover; a copy in the
  // (hashed) metadata lets the reader detect a damaged header field that would
  // otherwise silently change M4's calibration.
  const meta = text.encode(JSON.stringify({ ...c.metadata, [DISTANCES_KEY]: { dMin: c.dMin, dMax: c.dMax } }));
  const wordBytes = text.encode(c.words.join("\n"));
  const K = c.neighbours ? c.K : 0;
  const idBytes = idBytesFor(n);
  const vectorType = VECTOR_TYPES[enc.type].code;
  const table = K > 0 && c.neighbours ? tableSection(c, c.neighbours, enc, idBytes) : { coding: "ids" as const, bytes: new Uint8Array(0) };
  const tableBytes = table.coding === "sets" ? table.bytes.length : 0;
  const lay = bodyLayout({ n, d: c.d, K, metaBytes: meta.length, wordBytes: wordBytes.length, vectorType, idBytes, tableCoding: table.coding, tableBytes });
  const out = new Uint8Array(lay.end);
  out.set(meta, lay.meta);
  out.set(wordBytes, lay.words);
  if (enc.scales) out.set(new Uint8Array(enc.scales.buffer, enc.scales.byteOffset, enc.scales.byteLength), lay.scales);
  out.set(enc.data, lay.vectors);
  out.set(table.bytes, lay.table);
  out.set(text.encode(PACK_MAGIC), 0);
  const v = new DataView(out.buffer);
  v.setUint16(8, PACK_VERSION, true);
  v.setUint16(10, vectorType, true);
  v.setUint32(12, n, true);
  v.setUint32(16, c.d, true);
  v.setUint32(20, K, true);
  v.setFloat64(24, c.dMin, true);
  v.setFloat64(32, c.dMax, true);
  v.setUint32(40, meta.length, true);
  v.setUint32(44, wordBytes.length, true);
  v.setUint8(80, idBytes);
  v.setUint8(81, TABLE_CODINGS[table.coding]);
  v.setUint32(84, tableBytes, true);
  out.set(await sha256(out.subarray(HEADER_BYTES)), 48);
  return out;
}

/** The table section: ids in order, or sets checked to decode back to the same rows. */
function tableSection(c: PackContents, ids: Int32Array, enc: EncodedVectors, idBytes: 2 | 4): { coding: TableCoding; bytes: Uint8Array } {
  if (c.tableCoding !== "sets") return { coding: "ids", bytes: idBytesOf(ids, idBytes) };
  const bytes = encodeTableSets(ids, c.words.length, c.K);
  const back = decodeTableSets(bytes, c.words.length, c.K, enc.values, c.d);
  const row = back.findIndex((y, i) => y !== ids[i]);
  if (row >= 0)
    throw new InvalidOptionError(
      `row ${Math.floor(row / c.K)} of the neighbour table is not in distance order (exact float64, ties to the lower id), which the set coding needs; use tableCoding "ids"`,
    );
  return { coding: "sets", bytes };
}

function idBytesOf(ids: Int32Array, idBytes: 2 | 4): Uint8Array {
  const narrow = idBytes === 2 ? Uint16Array.from(ids) : ids;
  return new Uint8Array(narrow.buffer, narrow.byteOffset, narrow.byteLength);
}
