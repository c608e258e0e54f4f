import { InvalidOptionError } from "../errors.js";
import { DISTANCES_KEY, HEADER_BYTES, PACK_MAGIC, PACK_VERSION, VECTOR_FLOAT32, bodyLayout, type PackMetadata } from "./pack-format.js";
import { sha256 } from "./sha256.js";

export interface PackContents {
  words: readonly string[];
  d: number;
  vectors: Float32Array;
  neighbours: Int32Array | null;
  K: number;
  dMin: number;
  dMax: number;
  metadata?: PackMetadata;
}

/** Serialises a pack (format version 1, see pack-format.ts). */
export async function writePack(c: PackContents): Promise<Uint8Array> {
  const n = c.words.length;
  if (c.vectors.length !== n * c.d) throw new InvalidOptionError(`vectors has ${c.vectors.length} values, expected n*d = ${n * c.d}`);
  if (c.K > 0 && (!c.neighbours || c.neighbours.length !== n * c.K)) throw new InvalidOptionError(`the neighbour table must have n*K = ${n * c.K} entries`);
  for (const w of c.words) if (w.length === 0 || w.includes("\n")) throw new InvalidOptionError("words must be non-empty and contain no newline");
  const enc = new TextEncoder();
  // d_min and d_max sit in the header, which the SHA-256 does not cover; a copy in the
  // (hashed) metadata lets the reader detect a damaged header field that would
  // otherwise silently change M4's calibration.
  const meta = enc.encode(JSON.stringify({ ...c.metadata, [DISTANCES_KEY]: { dMin: c.dMin, dMax: c.dMax } }));
  const wordBytes = enc.encode(c.words.join("\n"));
  const K = c.neighbours ? c.K : 0;
  const lay = bodyLayout({ n, d: c.d, K, metaBytes: meta.length, wordBytes: wordBytes.length });
  const out = new Uint8Array(lay.end);
  out.set(meta, lay.meta);
  out.set(wordBytes, lay.words);
  out.set(new Uint8Array(c.vectors.buffer, c.vectors.byteOffset, c.vectors.byteLength), lay.vectors);
  if (K > 0 && c.neighbours) out.set(new Uint8Array(c.neighbours.buffer, c.neighbours.byteOffset, c.neighbours.byteLength), lay.table);
  out.set(new TextEncoder().encode(PACK_MAGIC), 0);
  const v = new DataView(out.buffer);
  v.setUint16(8, PACK_VERSION, true);
  v.setUint16(10, VECTOR_FLOAT32, true);
  v.setUint32(12, n, true);
  v.setUint32(16, c.d, true);
  v.setUint32(20, K, true);
  v.setFloat64(24, c.dMin, true);
  v.setFloat64(32, c.dMax, true);
  v.setUint32(40, meta.length, true);
  v.setUint32(44, wordBytes.length, true);
  out.set(await sha256(out.subarray(HEADER_BYTES)), 48);
  return out;
}
