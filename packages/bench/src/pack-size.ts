// `node packages/bench/dist/main.js pack-size [--pack P]`: where a pack's bytes on
// the wire go, and how far each section is from its floor: brotli (quality 11, as a
// CDN serves it) against the section's order-0 entropy (the vectors per dimension,
// the neighbour ids over all rows), and the neighbour table coded as sets (each
// row's ids sorted, as varint gaps), the coding that beats the entropy of ids in
// order because a row's order can be recomputed from the vectors. Narrower tables
// are the first K' columns of each row; the pack's own coding (sets with
// back-references, table-codec.ts) is measured at each width too.
import { readFileSync } from "node:fs";
import { brotliCompressSync, constants } from "node:zlib";
import { readPack, readPackHeader } from "@veil/core";
import { bodyLayout, encodeTableSets } from "@veil/core/internal";

const brotli = (x: Uint8Array): number =>
  brotliCompressSync(x, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: x.length } })
    .length;

/** Order-0 entropy in bytes of the values `at(i)` for i < count. */
function entropyBytes(count: number, at: (i: number) => number): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < count; i++) counts.set(at(i), (counts.get(at(i)) ?? 0) + 1);
  let bits = 0;
  for (const c of counts.values()) bits -= c * Math.log2(c / count);
  return bits / 8;
}

/** Each row's first `width` ids, sorted, as LEB128 varint gaps. */
export function sortedGaps(ids: Uint16Array | Uint32Array, rows: number, K: number, width: number): Uint8Array {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(ids.subarray(r * K, r * K + width)).sort((a, b) => a - b);
    let prev = 0;
    for (const x of row) {
      let gap = x - prev;
      prev = x;
      for (; gap >= 128; gap >>>= 7) out.push((gap & 127) | 128);
      out.push(gap);
    }
  }
  return Uint8Array.from(out);
}

/** Row-major `width` columns of a K-wide table. */
const columns = (ids: Uint16Array | Uint32Array, rows: number, K: number, width: number) => {
  const out = new (ids.constructor as Uint16ArrayConstructor)(rows * width);
  for (let r = 0; r < rows; r++) out.set(ids.subarray(r * K, r * K + width), r * width);
  return new Uint8Array(out.buffer);
};

/** The markdown report of one pack file: its sections as stored, then the table's codings at each width. */
export async function packSizeReport(file: string): Promise<string> {
  const bytes = new Uint8Array(readFileSync(file));
  const h = readPackHeader(bytes);
  const L = bodyLayout(h);
  const head = bytes.subarray(0, L.vectors);
  const vectors = bytes.subarray(L.vectors, L.table);
  const stored = bytes.subarray(L.table, L.end);
  const e = await readPack(bytes);
  const ids = Uint16Array.from(e.neighbours ?? []);
  const mb = (x: number) => `${(x / 1e6).toFixed(3)} MB`;
  const vectorEntropy =
    h.vectorType === 3 ? Array.from({ length: h.d }, (_, j) => entropyBytes(h.n, (i) => vectors[i * h.d + j]!)).reduce((a, b) => a + b, 0) : NaN;
  const rows = [
    "| section | raw | brotli q11 | order-0 entropy | as sorted id sets (varint gaps, brotli) | as sets with back-references (the pack's coding, brotli) |",
    "| --- | --- | --- | --- | --- | --- |",
    `| whole pack | ${mb(bytes.length)} | ${mb(brotli(bytes))} | | | |`,
    `| header, metadata, words | ${mb(head.length)} | ${mb(brotli(head))} | | | |`,
    `| vectors (${h.vectorType === 3 ? "int8, per dimension" : "float"}) | ${mb(vectors.length)} | ${mb(brotli(vectors))} | ${Number.isNaN(vectorEntropy) ? "" : mb(vectorEntropy)} | | |`,
    `| neighbour table as stored (${h.tableCoding}) | ${mb(stored.length)} | ${mb(brotli(stored))} | | | |`,
  ];
  for (const width of [...new Set([h.K, 20, 16].filter((w) => w <= h.K && w > 0))]) {
    const raw = columns(ids, h.n, h.K, width);
    const entropy = entropyBytes(h.n * width, (i) => ids[Math.floor(i / width) * h.K + (i % width)]!);
    const backRefs = encodeTableSets(Int32Array.from(new Uint16Array(raw.buffer)), h.n, width);
    rows.push(
      `| neighbour table as ids, first ${width} of ${h.K} | ${mb(raw.length)} | ${mb(brotli(raw))} | ${mb(entropy)} | ${mb(brotli(sortedGaps(ids, h.n, h.K, width)))} | ${mb(brotli(backRefs))} |`,
    );
  }
  return `${file}: n ${h.n}, d ${h.d}, K ${h.K}, table stored as ${h.tableCoding}\n\n${rows.join("\n")}`;
}
