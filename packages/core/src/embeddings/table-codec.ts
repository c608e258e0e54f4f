// The neighbour table coded as sets (pack format 3, table coding 1): what makes the
// default pack fit 6 MB on the wire. Ids in distance order barely compress (the
// 20-wide table of the default pack: 1.86 MB with brotli as uint16), but a row's
// order is a function of the vectors the pack already holds, so only each row's
// *set* needs storing; the reader puts each row back in order (exact float64
// distance, ties to the lower id: the order every table has, pack-format.ts).
//
// A set is coded in two streams, so that brotli sees each on its own:
//   - back-references: row i first gets one bit for every earlier row j < i that
//     lists i, in increasing j, saying whether j is also in row i (in a k-NN graph
//     many edges go both ways: 18% of the default pack's do), LSB first, each row's
//     bits padded to a byte. The reader knows these j from the rows it has read.
//   - the rest of the row, sorted, as LEB128 varint gaps (the first from 0). Their
//     count is K minus the bits set, so no lengths are stored.
// Section: uint32 byte length of the first stream, the first stream, the second.
// Measured on the default pack's 20-wide table: 1.35 MB with brotli (sorted gaps
// alone 1.52 MB, ids in order 1.86 MB); `node packages/bench/dist/main.js pack-size`.
import { EmbeddingFormatError } from "../errors.js";
import { wordDistance } from "./embedding.js";

/** Codes a table (n rows of K ids, each row in distance order) as sets; `decodeTableSets` inverts it given the same vectors. */
export function encodeTableSets(ids: Int32Array, n: number, K: number): Uint8Array {
  const flags: number[] = [];
  const gaps: number[] = [];
  const back = new BackReferences(n, K);
  const inRow = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const row = Array.from(ids.subarray(i * K, (i + 1) * K));
    for (const y of row) inRow[y] = i;
    const earlier = back.of(i);
    const isMember = earlier.map((j) => inRow[j] === i);
    packBits(flags, isMember);
    const flagged = new Set(earlier.filter((_, k) => isMember[k]));
    let prev = 0;
    for (const y of row.filter((y) => !flagged.has(y)).sort((a, b) => a - b)) {
      pushVarint(gaps, y - prev);
      prev = y;
    }
    back.add(i, row);
  }
  const out = new Uint8Array(4 + flags.length + gaps.length);
  new DataView(out.buffer).setUint32(0, flags.length, true);
  out.set(flags, 4);
  out.set(gaps, 4 + flags.length);
  return out;
}

/**
 * The table `encodeTableSets` coded, each row in order (exact float64 distance on
 * `vectors`, ties to the lower id). A section that does not decode to n rows of K
 * ids below n, exactly filling it, is an `EmbeddingFormatError`; repeats and self
 * references are left to the reader's table checks. Typed arrays and no per-row
 * allocation: this runs at every load (about 10^8 multiply-adds on the default pack).
 */
export function decodeTableSets(bytes: Uint8Array, n: number, K: number, vectors: Float32Array, d: number): Int32Array {
  if (bytes.length < 4) throw damaged("shorter than its 4-byte length");
  const flagBytes = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  if (flagBytes > bytes.length - 4) throw damaged("the back-reference stream runs past the section");
  const flags = new BitReader(bytes, 4, 4 + flagBytes);
  const gaps = new VarintReader(bytes, 4 + flagBytes, bytes.length, n);
  const ids = new Int32Array(n * K);
  const dist = new Float64Array(K);
  const back = new BackReferences(n, K);
  for (let i = 0; i < n; i++) {
    const row = ids.subarray(i * K, (i + 1) * K);
    let c = 0;
    for (let e = back.first(i); e >= 0; e = back.after(e)) if (flags.next()) c < K ? (row[c++] = back.source(e)) : c++;
    flags.endRow();
    if (c > K) throw damaged(`row ${i} has more than ${K} back-references set`);
    for (let prev = 0; c < K; c++) row[c] = prev += gaps.next();
    for (let j = 0; j < K; j++) if (row[j]! >= n) throw damaged(`row ${i} names an id outside the vocabulary`);
    inDistanceOrder(row, dist, vectors, d, i);
    back.add(i, row);
  }
  if (!flags.done() || !gaps.done()) throw damaged("bytes are left after the last row");
  return ids;
}

function damaged(why: string): EmbeddingFormatError {
  return new EmbeddingFormatError("bad-neighbours", `the neighbour table's set coding is damaged: ${why}`);
}

/** Sorts `row` (ids) by their distance to word w, ties to the lower id: exact float64 distances, then an insertion sort (rows are short). */
function inDistanceOrder(row: Int32Array, dist: Float64Array, v: Float32Array, d: number, w: number): void {
  distancesTo(w, row, dist, v, d);
  for (let j = 1; j < row.length; j++) {
    const y = row[j]!,
      dy = dist[j]!;
    let at = j;
    for (; at > 0 && (dist[at - 1]! > dy || (dist[at - 1] === dy && row[at - 1]! > y)); at--) ((dist[at] = dist[at - 1]!), (row[at] = row[at - 1]!));
    dist[at] = dy;
    row[at] = y;
  }
}

/**
 * dist[j] = the distance from w to row[j], bit for bit what `wordDistance` gives
 * (each sum in the same order; the order the table was built in depends on it).
 * Four sums side by side: the same arithmetic, about three times faster than one
 * at a time (the loads and adds of four chains overlap).
 */
function distancesTo(w: number, row: Int32Array, dist: Float64Array, v: Float32Array, d: number): void {
  const ow = w * d;
  let j = 0;
  for (; j + 4 <= row.length; j += 4) {
    const o0 = row[j]! * d,
      o1 = row[j + 1]! * d,
      o2 = row[j + 2]! * d,
      o3 = row[j + 3]! * d;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    for (let k = 0; k < d; k++) {
      const x = v[ow + k]!;
      const t0 = x - v[o0 + k]!,
        t1 = x - v[o1 + k]!,
        t2 = x - v[o2 + k]!,
        t3 = x - v[o3 + k]!;
      s0 += t0 * t0;
      s1 += t1 * t1;
      s2 += t2 * t2;
      s3 += t3 * t3;
    }
    dist[j] = Math.sqrt(s0);
    dist[j + 1] = Math.sqrt(s1);
    dist[j + 2] = Math.sqrt(s2);
    dist[j + 3] = Math.sqrt(s3);
  }
  for (; j < row.length; j++) dist[j] = wordDistance({ vectors: v, d }, w, row[j]!);
}

/** For each row i, the earlier rows that list i, in increasing order (a linked list per row, appended at the tail). */
class BackReferences {
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly next: Int32Array;
  private readonly from: Int32Array;
  private used = 0;
  constructor(n: number, K: number) {
    this.head = new Int32Array(n).fill(-1);
    this.tail = new Int32Array(n).fill(-1);
    this.next = new Int32Array(n * K);
    this.from = new Int32Array(n * K);
  }
  /** Row j lists `row`: each later row in it gets j as a back-reference. */
  add(j: number, row: ArrayLike<number>): void {
    for (let k = 0; k < row.length; k++) {
      const i = row[k]!;
      if (i <= j) continue;
      const e = this.used++;
      this.from[e] = j;
      this.next[e] = -1;
      if (this.tail[i]! < 0) this.head[i] = e;
      else this.next[this.tail[i]!] = e;
      this.tail[i] = e;
    }
  }
  of(i: number): number[] {
    const out: number[] = [];
    for (let e = this.first(i); e >= 0; e = this.after(e)) out.push(this.from[e]!);
    return out;
  }
  /** The first back-reference entry of row i, or -1; walk on with `after`, read with `source`. */
  first(i: number): number {
    return this.head[i]!;
  }
  after(e: number): number {
    return this.next[e]!;
  }
  source(e: number): number {
    return this.from[e]!;
  }
}

function packBits(out: number[], bits: boolean[]): void {
  for (let b = 0; b < bits.length; b += 8) {
    let byte = 0;
    for (let k = 0; k < 8 && b + k < bits.length; k++) if (bits[b + k]) byte |= 1 << k;
    out.push(byte);
  }
}

function pushVarint(out: number[], x: number): void {
  for (; x >= 128; x >>>= 7) out.push((x & 127) | 128);
  out.push(x);
}

class BitReader {
  private bit = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private at: number,
    private readonly end: number,
  ) {}
  next(): boolean {
    if (this.at >= this.end) throw damaged("the back-reference stream ends early");
    const set = (this.bytes[this.at]! >> this.bit) & 1;
    if (++this.bit === 8) ((this.bit = 0), this.at++);
    return set === 1;
  }
  /** Each row's bits end on a byte boundary. */
  endRow(): void {
    if (this.bit > 0) ((this.bit = 0), this.at++);
  }
  done(): boolean {
    return this.at === this.end;
  }
}

class VarintReader {
  constructor(
    private readonly bytes: Uint8Array,
    private at: number,
    private readonly end: number,
    private readonly limit: number,
  ) {}
  /** The next gap; at most `limit` (a gap beyond the vocabulary is damage, and bounds the shift). */
  next(): number {
    let x = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.at >= this.end) throw damaged("the id stream ends early");
      if (shift > 28) throw damaged("a gap longer than 5 bytes");
      const byte = this.bytes[this.at++]!;
      x += (byte & 127) * 2 ** shift;
      if (x > this.limit) throw damaged("a gap runs past the vocabulary");
      if (byte < 128) return x;
    }
  }
  done(): boolean {
    return this.at === this.end;
  }
}
