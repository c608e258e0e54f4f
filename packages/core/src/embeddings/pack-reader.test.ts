// The pack reader round-trips exactly and rejects every kind of damage with an
// EmbeddingFormatError whose `reason` names it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readPack, readPackHeader } from "./pack-reader.js";
import { writePack } from "./pack-writer.js";
import { HEADER_BYTES, bodyLayout, VECTOR_TYPES, type VectorType } from "./pack-format.js";
import { encodeVectors } from "./vector-codec.js";
import { sha256 } from "./sha256.js";
import { EmbeddingFormatError } from "../errors.js";
import { toyEmbedding } from "../test-support/toy.js";
import { seededSource } from "../random/seeded.js";

const toy = toyEmbedding(50, 6, 8, 21);
const contents = {
  words: toy.words,
  d: toy.d,
  vectors: toy.vectors,
  neighbours: toy.neighbours,
  K: toy.K,
  dMin: toy.dMin,
  dMax: toy.dMax,
  metadata: { name: "toy" },
};

async function rejects(bytes: Uint8Array, reason: string) {
  await assert.rejects(readPack(bytes), (e: unknown) => {
    assert.ok(e instanceof EmbeddingFormatError, `expected EmbeddingFormatError, got ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    return true;
  });
}

/** Re-signs the body after a deliberate edit, so the check behind the checksum is what fails. */
async function resign(bytes: Uint8Array): Promise<Uint8Array> {
  bytes.set(await sha256(bytes.subarray(HEADER_BYTES)), 48);
  return bytes;
}

test("round trip is exact", async () => {
  const bytes = await writePack(contents);
  const e = await readPack(bytes);
  assert.deepEqual(e.words, toy.words);
  assert.deepEqual(e.vectors, toy.vectors);
  assert.deepEqual(e.neighbours, toy.neighbours);
  assert.equal(e.dMin, toy.dMin);
  assert.equal(e.dMax, toy.dMax);
  assert.equal(e.metadata.name, "toy");
  assert.equal(e.index.get("w49"), 49);
  assert.deepEqual(await writePack({ ...contents, words: e.words, vectors: e.vectors, neighbours: e.neighbours, metadata: e.metadata }), bytes);
  // Reading from a Node Buffer that is a view into a larger pool (Buffer#slice does not copy).
  const pooled = Buffer.concat([Buffer.alloc(13), Buffer.from(bytes)]).subarray(13);
  assert.deepEqual((await readPack(pooled)).neighbours, toy.neighbours);
});

test("a pack without a neighbour table is valid", async () => {
  const e = await readPack(await writePack({ ...contents, neighbours: null, K: 0 }));
  assert.equal(e.neighbours, null);
});

test("truncation at every length is rejected", async () => {
  const bytes = await writePack(contents);
  for (let len = 0; len < bytes.length; len += len < 200 ? 1 : 97) await rejects(bytes.subarray(0, len), len < HEADER_BYTES ? "truncated" : "truncated");
});

test("trailing bytes, bad magic, versions, vector type, header fields", async () => {
  const good = await writePack(contents);
  const edit = (f: (v: DataView, b: Uint8Array) => void) => {
    const b = good.slice();
    f(new DataView(b.buffer), b);
    return b;
  };
  await rejects(new Uint8Array([...good, 0]), "trailing-bytes");
  await rejects(
    edit((_v, b) => (b[0] = 0x58)),
    "bad-magic",
  );
  await rejects(
    edit((v) => v.setUint16(8, 4, true)),
    "unsupported-version",
  );
  await rejects(
    edit((v) => v.setUint16(10, 4, true)),
    "unsupported-vector-type",
  );
  await rejects(
    edit((v) => v.setUint16(8, 1, true)), // format 1 has no id width byte (and uint32 ids)
    "bad-header",
  );
  await rejects(
    edit((v) => v.setUint8(80, 3)),
    "bad-header",
  );
  await rejects(
    edit((v) => v.setUint32(12, 1, true)),
    "bad-header",
  );
  await rejects(
    edit((v) => v.setUint32(12, 51, true)),
    "truncated",
  );
  await rejects(
    edit((v) => v.setUint32(16, 0, true)),
    "bad-header",
  );
  await rejects(
    edit((v) => v.setUint32(20, 50, true)),
    "bad-header",
  );
  await rejects(
    edit((v) => v.setFloat64(24, NaN, true)),
    "bad-header",
  );
  await rejects(
    edit((v) => v.setFloat64(24, 0, true)),
    "bad-header",
  );
  await rejects(
    edit((v) => v.setFloat64(32, toy.dMin / 2, true)),
    "bad-header",
  );
  await rejects(
    edit((_v, b) => (b[100] = 1)),
    "bad-header",
  );
  await rejects(
    edit((v) => (v.setUint16(8, 2, true), v.setUint8(81, 1))), // format 2 has no table coding byte
    "bad-header",
  );
  assert.equal(readPackHeader(good).n, 50);
});

test("any flipped byte in the body fails the checksum", async () => {
  const good = await writePack(contents);
  const rnd = new Uint8Array(64);
  seededSource(5).fill(rnd);
  for (const r of rnd) {
    const b = good.slice();
    const at = HEADER_BYTES + ((r * 7919) % (b.length - HEADER_BYTES));
    b[at]! ^= 1 << (r % 8);
    await rejects(b, "checksum-mismatch");
  }
  const b = good.slice();
  b[50]! ^= 0xff; // the stored digest itself
  await rejects(b, "checksum-mismatch");
});

test("damage behind a valid checksum: words, metadata, vectors, neighbour table", async () => {
  const good = await writePack(contents);
  const lay = bodyLayout({
    n: 50,
    d: 6,
    K: 8,
    metaBytes: new DataView(good.buffer).getUint32(40, true),
    wordBytes: new DataView(good.buffer).getUint32(44, true),
  });
  const edit = async (f: (b: Uint8Array, v: DataView) => void) => {
    const b = good.slice();
    f(b, new DataView(b.buffer));
    return resign(b);
  };
  await rejects(await edit((b) => (b[lay.meta] = 0x5b)), "bad-metadata"); // "[" : not an object
  await rejects(await edit((b) => (b[lay.words] = 0xff)), "bad-words"); // invalid UTF-8
  await rejects(await edit((b) => b.set([0x77, 0x31], lay.words)), "bad-words"); // "w0" -> "w1": repeated word
  await rejects(await edit((b) => (b[lay.words + 1] = 0x0a)), "bad-words"); // "w0" -> "w" + newline: an empty word, count mismatch
  await rejects(await edit((_b, v) => v.setFloat32(lay.vectors + 4 * 17, NaN, true)), "bad-vectors");
  await rejects(await edit((_b, v) => v.setFloat32(lay.vectors, Infinity, true)), "bad-vectors");
  await rejects(await edit((_b, v) => v.setInt32(lay.table, 50, true)), "bad-neighbours");
  await rejects(await edit((_b, v) => v.setInt32(lay.table, -1, true)), "bad-neighbours");
  await rejects(await edit((_b, v) => v.setInt32(lay.table, 0, true)), "bad-neighbours"); // word 0 lists itself
  await rejects(await edit((_b, v) => v.setInt32(lay.table + 4, v.getInt32(lay.table, true), true)), "bad-neighbours"); // repeat
});

test("random bytes are rejected, never crash", async () => {
  const src = seededSource(8);
  for (let i = 0; i < 200; i++) {
    const b = new Uint8Array(i * 13);
    src.fill(b);
    if (i % 2) b.set(new TextEncoder().encode("VEILPACK"), 0);
    await assert.rejects(readPack(b), EmbeddingFormatError);
  }
});

test("format 3: float32, float16 and int8 vectors, uint16 ids; each reads back as the values it stores", async () => {
  for (const type of ["f32", "f16", "int8"] as VectorType[]) {
    const enc = encodeVectors(toy.vectors, toy.d, type);
    const bytes = await writePack({ ...contents, vectors: enc });
    const h = readPackHeader(bytes);
    assert.equal(h.version, 3);
    assert.equal(h.tableCoding, "ids");
    assert.equal(h.vectorType, VECTOR_TYPES[type].code);
    assert.equal(h.idBytes, 2, "50 words: uint16 ids");
    const e = await readPack(bytes);
    assert.deepEqual(e.vectors, enc.values, type);
    assert.deepEqual(e.neighbours, toy.neighbours, type);
    assert.deepEqual(e.stored, { vectorType: type, idBytes: 2, formatVersion: 3, tableCoding: "ids" });
    const lay = bodyLayout(h);
    assert.equal(bytes.length, lay.end);
    assert.equal(lay.end - lay.table, 50 * 8 * 2, "the table is n*K*2 bytes");
    // Format 2 is format 3 with bytes 81..87 zero: such a pack (the default before the set coding) still loads.
    const v2 = bytes.slice();
    new DataView(v2.buffer).setUint16(8, 2, true);
    assert.deepEqual((await readPack(v2)).stored, { vectorType: type, idBytes: 2, formatVersion: 2, tableCoding: "ids" });
  }
});

test("format 1 packs (float32, uint32 ids) still load", async () => {
  const v1 = await writeFormatOne();
  const e = await readPack(v1);
  assert.deepEqual(e.vectors, toy.vectors);
  assert.deepEqual(e.neighbours, toy.neighbours);
  assert.deepEqual(e.stored, { vectorType: "f32", idBytes: 4, formatVersion: 1, tableCoding: "ids" });
});

test("format 2 damage: a bad int8 scale, float16 infinity, non-zero padding after the vectors", async () => {
  const int8 = await writePack({ ...contents, vectors: encodeVectors(toy.vectors, toy.d, "int8") });
  const lay = bodyLayout(readPackHeader(int8));
  for (const bad of [0, -1, NaN, 3e38]) {
    // 3e38 is a finite float32, but 127 times it is not
    const b = int8.slice();
    new DataView(b.buffer).setFloat32(lay.scales + 4, bad, true);
    await rejects(await resign(b), "bad-vectors");
  }
  const f16 = await writePack({ ...contents, vectors: encodeVectors(toy.vectors, toy.d, "f16") });
  const l16 = bodyLayout(readPackHeader(f16));
  const b = f16.slice();
  new DataView(b.buffer).setUint16(l16.vectors + 6, 0x7c00, true);
  await rejects(await resign(b), "bad-vectors");
  const padded = int8.slice();
  if (lay.table > lay.vectors + 50 * 6) {
    padded[lay.table - 1] = 1;
    await rejects(await resign(padded), "bad-padding");
  }
});

/** The toy pack in format 1, written by hand: version 1, byte 80 zero, float32 vectors, uint32 ids. */
async function writeFormatOne(): Promise<Uint8Array> {
  const v2 = await writePack(contents);
  const h = readPackHeader(v2);
  const l2 = bodyLayout(h);
  const l1 = bodyLayout({ ...h, idBytes: 4 });
  const out = new Uint8Array(l1.end);
  out.set(v2.subarray(0, l2.table));
  out.set(new Uint8Array(Int32Array.from(toy.neighbours!).buffer), l1.table);
  const v = new DataView(out.buffer);
  v.setUint16(8, 1, true);
  v.setUint8(80, 0);
  return resign(out);
}
