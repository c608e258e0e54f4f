// The set-coded neighbour table (table-codec.ts, pack format 3) decodes to the
// table it coded, in order, through the pack reader too; damage to its streams is
// an EmbeddingFormatError; a table out of distance order is refused at write time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeTableSets, encodeTableSets } from "./table-codec.js";
import { readPack, readPackHeader } from "./pack-reader.js";
import { writePack } from "./pack-writer.js";
import { HEADER_BYTES, bodyLayout } from "./pack-format.js";
import { encodeVectors } from "./vector-codec.js";
import { sha256 } from "./sha256.js";
import { EmbeddingFormatError, InvalidOptionError } from "../errors.js";
import { toyEmbedding } from "../test-support/toy.js";
import { JsBackend } from "../backends/js.js";
import { buildNeighbourTable } from "./neighbour-table.js";

const toy = toyEmbedding(300, 6, 12, 5);
const contents = { words: toy.words, d: toy.d, vectors: toy.vectors, neighbours: toy.neighbours, K: toy.K, dMin: toy.dMin, dMax: toy.dMax };

test("sets decode to the table they code, each row back in distance order", () => {
  const coded = encodeTableSets(toy.neighbours!, toy.n, toy.K);
  assert.deepEqual(decodeTableSets(coded, toy.n, toy.K, toy.vectors, toy.d), toy.neighbours);
  // Smaller than the ids themselves (uint16: 2 bytes an id), and some edges go both ways.
  assert.ok(coded.length < toy.n * toy.K * 2, `${coded.length} bytes`);
  assert.ok(new DataView(coded.buffer).getUint32(0, true) > 0);
});

test("ties in distance decode to the lower id first, as the table builder orders them", () => {
  // Integer grid points: many neighbours at exactly the same distance.
  const grid = toyEmbedding(200, 3, 10, 9);
  const v = grid.vectors.map((x) => Math.round(x * 2));
  const e = toyEmbeddingWith(v, grid.n, grid.d, 10);
  assert.deepEqual(decodeTableSets(encodeTableSets(e.neighbours!, e.n, e.K), e.n, e.K, e.vectors, e.d), e.neighbours);
});

test("a set-coded pack reads back the same embedding as the ids pack, and is smaller", async () => {
  for (const type of ["f32", "int8"] as const) {
    const stored = encodeVectors(toy.vectors, toy.d, type);
    const e = toyEmbeddingWith(stored.values, toy.n, toy.d, toy.K);
    const ids = await writePack({ ...contents, vectors: stored, neighbours: e.neighbours, dMin: e.dMin, dMax: e.dMax });
    const sets = await writePack({ ...contents, vectors: stored, neighbours: e.neighbours, dMin: e.dMin, dMax: e.dMax, tableCoding: "sets" });
    const [a, b] = [await readPack(ids), await readPack(sets)];
    assert.deepEqual(b.neighbours, a.neighbours);
    assert.deepEqual(b.vectors, a.vectors);
    assert.equal(b.stored?.tableCoding, "sets");
    assert.equal(readPackHeader(sets).version, 3);
    assert.ok(sets.length < ids.length, `${type}: ${sets.length} >= ${ids.length}`);
  }
});

test("a table out of distance order cannot be set-coded", async () => {
  const swapped = toy.neighbours!.slice();
  [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
  await assert.rejects(writePack({ ...contents, neighbours: swapped, tableCoding: "sets" }), (e: unknown) => {
    assert.ok(e instanceof InvalidOptionError);
    assert.match(e.message, /row 0 .* not in distance order/);
    return true;
  });
});

test("damage to the coded table is an EmbeddingFormatError, whatever part is hit", async () => {
  const bytes = await writePack({ ...contents, tableCoding: "sets" });
  const h = readPackHeader(bytes);
  const lay = bodyLayout(h);
  const section = bytes.subarray(lay.table, lay.end);
  const flagBytes = new DataView(section.buffer, section.byteOffset).getUint32(0, true);
  const cases: [string, (b: Uint8Array) => void][] = [
    ["the stream length past the end", (b) => new DataView(b.buffer, b.byteOffset + lay.table).setUint32(0, 1 << 30, true)],
    ["a back-reference flipped", (b) => (b[lay.table + 4 + Math.floor(flagBytes / 2)]! ^= 0xff)],
    ["a gap made huge", (b) => b.fill(0xff, lay.table + 4 + flagBytes + 10, lay.table + 4 + flagBytes + 16)],
    ["a gap zeroed (a repeated id)", (b) => (b[lay.end - 1] = 0)],
  ];
  for (const [what, edit] of cases) {
    const damaged = bytes.slice();
    edit(damaged);
    damaged.set(await sha256(damaged.subarray(HEADER_BYTES)), 48);
    await assert.rejects(readPack(damaged), (e: unknown) => {
      assert.ok(e instanceof EmbeddingFormatError, `${what}: ${String(e)}`);
      assert.equal(e.reason, "bad-neighbours", `${what}: ${e.message}`);
      return true;
    });
  }
});

test("the header's table coding and length are checked", async () => {
  const bytes = await writePack({ ...contents, tableCoding: "sets" });
  const edit = (f: (v: DataView) => void) => {
    const b = bytes.slice();
    f(new DataView(b.buffer));
    return b;
  };
  for (const b of [edit((v) => v.setUint8(81, 2)), edit((v) => v.setUint32(84, 4 + toy.n * toy.K * 6 + 1, true)), edit((v) => v.setUint8(82, 1))])
    assert.throws(
      () => readPackHeader(b),
      (e: unknown) => e instanceof EmbeddingFormatError && e.reason === "bad-header",
    );
  const plain = await writePack(contents);
  const lengthWithoutSets = plain.slice();
  new DataView(lengthWithoutSets.buffer).setUint32(84, 10, true);
  assert.throws(() => readPackHeader(lengthWithoutSets), /coded table length without the set coding/);
});

/** An embedding with these vectors and its exact K-NN table. */
function toyEmbeddingWith(vectors: Float32Array, n: number, d: number, K: number) {
  const e = { ...toyEmbedding(n, d, 0), vectors };
  const t = buildNeighbourTable(new JsBackend(e), K);
  return { ...e, neighbours: t.ids, K: t.K, dMin: t.dMin, dMax: t.dMax };
}

test("readPack takes a set-coded pack's table in order from a cache when given one, and checks it like any table", async () => {
  const sets = await writePack({ ...contents, tableCoding: "sets" });
  const fromCache = Int32Array.from(toy.neighbours!);
  const e = await readPack(sets, { orderedTable: fromCache });
  assert.deepEqual(e.neighbours, toy.neighbours);
  assert.notEqual(e.neighbours, fromCache, "a copy: the caller's array stays the caller's");
  // Proof that it was used rather than the sets: a row reordered in the cached copy comes back so.
  const swapped = fromCache.slice();
  [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
  assert.equal((await readPack(sets, { orderedTable: swapped })).neighbours![0], toy.neighbours![1]);
  const selfRef = fromCache.slice();
  selfRef[toy.K] = 1; // row 1 lists itself
  await assert.rejects(readPack(sets, { orderedTable: selfRef }), (err: unknown) => err instanceof EmbeddingFormatError && err.reason === "bad-neighbours");
  assert.deepEqual((await readPack(sets, { orderedTable: fromCache.subarray(1) })).neighbours, toy.neighbours, "a copy of the wrong length is ignored");
});
