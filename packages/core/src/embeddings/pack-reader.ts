import { EmbeddingFormatError } from "../errors.js";
import { type Embedding, makeIndex } from "./embedding.js";
import {
  DISTANCES_KEY,
  HEADER_BYTES,
  PACK_MAGIC,
  PACK_VERSIONS,
  TABLE_CODINGS,
  VECTOR_FLOAT32,
  bodyLayout,
  vectorTypeOf,
  type PackHeader,
  type PackMetadata,
  type VectorType,
} from "./pack-format.js";
import { float16Values, int8Values } from "./vector-codec.js";
import { decodeTableSets } from "./table-codec.js";
import { sha256, toHex } from "./sha256.js";

const MAX_WORDS = 10_000_000;
const MAX_DIM = 4096;
const MAX_K = 1024;

/** Parses and checks the fixed header alone (cheap: no hashing). */
export function readPackHeader(bytes: Uint8Array): PackHeader {
  if (bytes.length < HEADER_BYTES)
    throw new EmbeddingFormatError("truncated", `the file has ${bytes.length} bytes, fewer than the ${HEADER_BYTES}-byte header`);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== PACK_MAGIC) throw new EmbeddingFormatError("bad-magic", "the file does not start with VEILPACK; it is not a Veil embedding pack");
  const v = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const h: PackHeader = {
    version: v.getUint16(8, true),
    vectorType: v.getUint16(10, true),
    n: v.getUint32(12, true),
    d: v.getUint32(16, true),
    K: v.getUint32(20, true),
    dMin: v.getFloat64(24, true),
    dMax: v.getFloat64(32, true),
    metaBytes: v.getUint32(40, true),
    wordBytes: v.getUint32(44, true),
    sha256: bytes.slice(48, 80),
    idBytes: v.getUint8(80) || 4,
    tableCoding: v.getUint8(81) === TABLE_CODINGS.sets ? "sets" : "ids",
    tableBytes: v.getUint32(84, true),
  };
  if (!PACK_VERSIONS.includes(h.version))
    throw new EmbeddingFormatError("unsupported-version", `format version ${h.version}; this Veil reads versions ${PACK_VERSIONS.join(" and ")}`);
  checkStorage(h, v.getUint8(80));
  checkTableCoding(h, v);
  if (h.n < 2 || h.n > MAX_WORDS) throw new EmbeddingFormatError("bad-header", `word count ${h.n} is outside [2, ${MAX_WORDS}]`);
  if (h.d < 1 || h.d > MAX_DIM) throw new EmbeddingFormatError("bad-header", `dimension ${h.d} is outside [1, ${MAX_DIM}]`);
  if (h.K > MAX_K || h.K >= h.n)
    throw new EmbeddingFormatError("bad-header", `neighbour-table width ${h.K} must be below the word count ${h.n} and at most ${MAX_K}`);
  // A pack without a table (K = 0) may leave d_min and d_max at 0: they come with the table, built at load.
  const unknown = h.K === 0 && h.dMin === 0 && h.dMax === 0;
  if (!unknown && !(Number.isFinite(h.dMin) && Number.isFinite(h.dMax) && h.dMin > 0 && h.dMin <= h.dMax))
    throw new EmbeddingFormatError("bad-header", `d_min ${h.dMin} and d_max ${h.dMax} must be finite with 0 < d_min <= d_max`);
  for (let i = h.version === 3 ? 88 : 81; i < HEADER_BYTES; i++)
    if (bytes[i] !== 0) throw new EmbeddingFormatError("bad-header", "reserved header bytes are not zero");
  return h;
}

/** Version 3's table coding (byte 81) and coded length (84..87): a known coding, a length only with sets, within reason. */
function checkTableCoding(h: PackHeader, v: DataView): void {
  if (h.version < 3) return; // bytes 81.. are reserved and checked as zero
  const code = v.getUint8(81);
  if (code !== TABLE_CODINGS.ids && code !== TABLE_CODINGS.sets)
    throw new EmbeddingFormatError("bad-header", `table coding ${code}; this Veil reads 0 (ids) and 1 (sets)`);
  if (v.getUint16(82, true) !== 0) throw new EmbeddingFormatError("bad-header", "reserved header bytes are not zero");
  if (h.tableCoding === "ids" && h.tableBytes !== 0) throw new EmbeddingFormatError("bad-header", "a coded table length without the set coding");
  if (h.tableCoding === "sets" && h.K === 0) throw new EmbeddingFormatError("bad-header", "a set-coded table with K = 0");
  // Each id takes at most 5 varint bytes and at most one back-reference bit per earlier row listing it.
  if (h.tableCoding === "sets" && h.tableBytes > 4 + h.n * h.K * 6)
    throw new EmbeddingFormatError("bad-header", `a coded table of ${h.tableBytes} bytes is too long for ${h.n} rows of ${h.K}`);
}

/** The vector type and id width the header names exist in its format version. */
function checkStorage(h: PackHeader, idByte: number): void {
  const type = vectorTypeOf(h.vectorType);
  if (h.version === 1) {
    if (h.vectorType !== VECTOR_FLOAT32)
      throw new EmbeddingFormatError("unsupported-vector-type", `vector type ${h.vectorType}; format 1 has only 1 (float32)`);
    if (idByte !== 0) throw new EmbeddingFormatError("bad-header", "reserved header bytes are not zero");
    return;
  }
  if (!type) throw new EmbeddingFormatError("unsupported-vector-type", `vector type ${h.vectorType}; this Veil reads 1 (float32), 2 (float16) and 3 (int8)`);
  if (idByte !== 2 && idByte !== 4) throw new EmbeddingFormatError("bad-header", `neighbour ids of ${idByte} bytes; 2 and 4 exist`);
  if (idByte === 2 && h.n > 65_536) throw new EmbeddingFormatError("bad-header", `uint16 neighbour ids cannot name ${h.n} words`);
}

/** A pack's whole length in bytes as its header gives it (what a download must add up to). */
export function packByteLength(header: PackHeader): number {
  return bodyLayout(header).end;
}

/** How `readPack` may treat its input. */
export interface ReadPackOptions {
  /**
   * Let the embedding's vectors and table be views into the input's buffer
   * instead of copies (when they are 4-byte aligned there). Saves a copy of the
   * pack; the caller must not change the bytes afterwards.
   */
  adopt?: boolean;
  /**
   * For a pack whose table is stored as sets (format 3): its table in order, as
   * an earlier `readPack` of the same pack returned it (the web worker keeps it in
   * IndexedDB beside the pack, with its own SHA-256). Used instead of decoding the
   * sets and putting every row in order (hundreds of milliseconds on the default
   * pack); checked like any table (length, ids in range, no self or repeat), not
   * for its order, so it must come from this pack. Ignored for other packs.
   */
  orderedTable?: Int32Array;
}

/**
 * Reads a pack and validates everything: header, length, SHA-256 of the body,
 * the word list (n distinct non-empty words), finite vectors, and the neighbour
 * table (ids in range, never the word itself, no repeats in a row). Any damage is
 * an `EmbeddingFormatError` whose `reason` names it; a body whose SHA-256 is
 * wrong is reported as `checksum-mismatch` whatever else is wrong with it.
 */
export async function readPack(input: Uint8Array | ArrayBuffer, options: ReadPackOptions = {}): Promise<Embedding> {
  // A plain Uint8Array view: Node's Buffer#slice does not copy, Uint8Array#slice does.
  const bytes = input instanceof Uint8Array ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
  const h = readPackHeader(bytes);
  const lay = bodyLayout(h);
  if (bytes.length < lay.end) throw new EmbeddingFormatError("truncated", `expected ${lay.end} bytes from the header, got ${bytes.length}`);
  if (bytes.length > lay.end) throw new EmbeddingFormatError("trailing-bytes", `expected ${lay.end} bytes from the header, got ${bytes.length}`);
  // WebCrypto hashes on another thread (browsers and Node alike), so the
  // sections are parsed and checked while the digest runs: on a warm start in
  // Chromium the digest of the 33 MB default pack is about 120 ms.
  const digest = sha256(bytes.subarray(HEADER_BYTES));
  const parsed = (() => {
    try {
      return { embedding: parseSections(bytes, h, lay, options.adopt === true, options.orderedTable) };
    } catch (error) {
      return { error };
    }
  })();
  if (toHex(await digest) !== toHex(h.sha256))
    throw new EmbeddingFormatError("checksum-mismatch", "the SHA-256 of the body does not match the header; the file is corrupt");
  if ("error" in parsed) throw parsed.error;
  return parsed.embedding;
}

type Layout = ReturnType<typeof bodyLayout>;

/** Every section after the header, checked: metadata, words, vectors, table. */
function parseSections(bytes: Uint8Array, h: PackHeader, lay: Layout, adopt: boolean, orderedTable?: Int32Array): Embedding {
  const metadata = readMetadata(bytes, h, lay);
  const words = readWords(bytes, h, lay);
  const index = makeIndex(words);
  if (index.size !== h.n) throw new EmbeddingFormatError("bad-words", "the word list has repeated words");
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new EmbeddingFormatError("unsupported-platform", "big-endian platforms are not supported");
  const read = readVectors(bytes, h, lay, adopt);
  const vectorsOf = read instanceof Float32Array ? () => read : lazyInt8Values(read, h.d);
  const neighbours = h.K > 0 ? readTable(bytes, h, lay, adopt, vectorsOf, orderedTable) : null;
  const stored = { vectorType: vectorTypeOf(h.vectorType)!, idBytes: h.idBytes, formatVersion: h.version, tableCoding: h.tableCoding };
  const sha256 = toHex(h.sha256);
  const embedding: Embedding = {
    n: h.n,
    d: h.d,
    K: h.K,
    words,
    get vectors() {
      return vectorsOf();
    },
    neighbours,
    dMin: h.dMin,
    dMax: h.dMax,
    metadata,
    sha256,
    index,
    stored,
  };
  if (!(read instanceof Float32Array)) int8Of.set(embedding, read);
  return embedding;
}

/** int8 vectors as stored: value (i, j) means fround(q[i * d + j] * scales[j]) (vector-codec.ts, int8Values). */
export interface StoredInt8 {
  readonly q: Int8Array;
  readonly scales: Float32Array;
}

/** The stored int8 values of embeddings readPack made (a copy made by spreading is not one of them: its vectors may be another's). */
const int8Of = new WeakMap<Embedding, StoredInt8>();

/** An int8 pack's stored values, when `e` is the embedding readPack returned for it: a backend may scale them itself instead of reading `e.vectors`. */
export function storedInt8(e: Embedding): StoredInt8 | undefined {
  return int8Of.get(e);
}

/**
 * An int8 pack's float32 values, made at their first read. A warm start that runs on WebAssembly
 * never reads them: the module scales the int8 values into its own memory (WasmBackend), so the load
 * writes 20 MB less (on the default pack) and skips a cold pass over five million values.
 */
function lazyInt8Values(stored: StoredInt8, d: number): () => Float32Array {
  let values: Float32Array | null = null;
  return () => (values ??= int8Values(stored.q, stored.scales, d));
}

function readMetadata(bytes: Uint8Array, h: PackHeader, lay: Layout): PackMetadata {
  let metadata: PackMetadata;
  try {
    metadata = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(lay.meta, lay.words))) as PackMetadata;
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) throw new Error("not an object");
  } catch {
    throw new EmbeddingFormatError("bad-metadata", "the metadata section is not a JSON object");
  }
  const copy = metadata[DISTANCES_KEY] as { dMin?: unknown; dMax?: unknown } | undefined;
  if (copy !== undefined && (typeof copy !== "object" || copy === null || copy.dMin !== h.dMin || copy.dMax !== h.dMax))
    throw new EmbeddingFormatError("header-mismatch", "d_min or d_max in the header differs from the copy in the checksummed metadata; the header is damaged");
  return metadata;
}

function readWords(bytes: Uint8Array, h: PackHeader, lay: Layout): string[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(lay.words, lay.words + h.wordBytes));
  } catch {
    throw new EmbeddingFormatError("bad-words", "the word list is not valid UTF-8");
  }
  const words = text.split("\n");
  if (words.length !== h.n) throw new EmbeddingFormatError("bad-words", `the word list has ${words.length} words, the header says ${h.n}`);
  if (words.some((w) => w.length === 0)) throw new EmbeddingFormatError("bad-words", "the word list has an empty word");
  for (let i = lay.words + h.wordBytes; i < lay.scales; i++)
    if (bytes[i] !== 0) throw new EmbeddingFormatError("bad-padding", "padding after the word list is not zero");
  return words;
}

/** bytes[from, to) as its own aligned buffer, or a view of the input when adopting and aligned. */
function section(bytes: Uint8Array, from: number, to: number, adopt: boolean): { buffer: ArrayBuffer; offset: number } {
  if (adopt && (bytes.byteOffset + from) % 4 === 0) return { buffer: bytes.buffer as ArrayBuffer, offset: bytes.byteOffset + from };
  return { buffer: bytes.slice(from, to).buffer, offset: 0 };
}

/**
 * The float32 vectors the stored ones mean (float16 widened; see vector-codec.ts), all finite; for
 * int8, the stored values and their scales (a copy unless adopting: they are read later, after the
 * SHA-256 was checked, so the caller's buffer must not be able to change them).
 */
function readVectors(bytes: Uint8Array, h: PackHeader, lay: Layout, adopt: boolean): Float32Array | StoredInt8 {
  const type: VectorType = vectorTypeOf(h.vectorType)!;
  const count = h.n * h.d;
  let vectors: Float32Array | StoredInt8;
  if (type === "f32") {
    const s = section(bytes, lay.vectors, lay.vectors + count * 4, adopt);
    vectors = new Float32Array(s.buffer, s.offset, count);
  } else if (type === "f16") {
    const s = section(bytes, lay.vectors, lay.vectors + count * 2, true); // read once into float32: a view is enough
    vectors = float16Values(new Uint16Array(s.buffer, s.offset, count));
  } else {
    const scales = new Float32Array(bytes.slice(lay.scales, lay.vectors).buffer);
    // 127 * scale must stay a finite float32, so that every value is finite without a pass over them.
    if (!scales.every((x) => x > 0 && Number.isFinite(Math.fround(x * 127))))
      throw new EmbeddingFormatError("bad-vectors", "an int8 scale is not a positive number whose 127 multiple is a finite float32");
    const q = adopt ? new Int8Array(bytes.buffer, bytes.byteOffset + lay.vectors, count) : new Int8Array(bytes.slice(lay.vectors, lay.vectors + count).buffer);
    vectors = { q, scales };
  }
  for (let i = lay.vectors + count * (type === "f32" ? 4 : type === "f16" ? 2 : 1); i < lay.table; i++)
    if (bytes[i] !== 0) throw new EmbeddingFormatError("bad-padding", "padding after the vectors is not zero");
  // int8 values are finite by construction (a small integer times a scale checked above): no pass over them.
  if (vectors instanceof Float32Array)
    for (let i = 0; i < vectors.length; i++) {
      if (!Number.isFinite(vectors[i]!)) throw new EmbeddingFormatError("bad-vectors", `vector component ${i} (word ${Math.floor(i / h.d)}) is not finite`);
    }
  return vectors;
}

function readTable(bytes: Uint8Array, h: PackHeader, lay: Layout, adopt: boolean, vectorsOf: () => Float32Array, orderedTable?: Int32Array): Int32Array {
  let neighbours: Int32Array;
  if (h.tableCoding === "sets" && orderedTable?.length === h.n * h.K) {
    neighbours = orderedTable.slice(); // the caller's array stays the caller's
  } else if (h.tableCoding === "sets") {
    neighbours = decodeTableSets(bytes.subarray(lay.table, lay.end), h.n, h.K, vectorsOf(), h.d);
  } else if (h.idBytes === 2) {
    const s = section(bytes, lay.table, lay.end, true); // widened once into int32: a view is enough
    neighbours = Int32Array.from(new Uint16Array(s.buffer, s.offset, h.n * h.K));
  } else {
    const s = section(bytes, lay.table, lay.end, adopt);
    neighbours = new Int32Array(s.buffer, s.offset, h.n * h.K);
  }
  const seen = new Int32Array(h.n).fill(-1);
  for (let w = 0; w < h.n; w++) {
    for (let j = 0; j < h.K; j++) {
      const y = neighbours[w * h.K + j]!;
      if (y < 0 || y >= h.n) throw new EmbeddingFormatError("bad-neighbours", `word ${w}'s neighbour ${j} has id ${y >>> 0}, outside the vocabulary`);
      if (y === w) throw new EmbeddingFormatError("bad-neighbours", `word ${w} lists itself as a neighbour`);
      if (seen[y] === w) throw new EmbeddingFormatError("bad-neighbours", `word ${w} lists neighbour ${y} twice`);
      seen[y] = w;
    }
  }
  return neighbours;
}
