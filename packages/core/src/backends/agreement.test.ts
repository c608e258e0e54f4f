// The TypeScript reference and the WebAssembly kernels agree: same k-NN table,
// distances to float tolerance, and, with the same seeded stream, the same outputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { JsBackend } from "./js.js";
import { createWasmBackend } from "./wasm.js";
import { buildNeighbourTable } from "../embeddings/neighbour-table.js";
import { toyEmbedding } from "../test-support/toy.js";
import { createVeil } from "../veil.js";
import { useSeededRandom } from "../testing.js";
import { MECHANISMS, type MechanismName, type MechanismOptions } from "../mechanisms/options.js";

test("k-NN tables are identical and d_min/d_max agree (random vocabularies, odd sizes)", async () => {
  for (const [n, d, K, seed] of [
    [333, 13, 20, 1],
    [1000, 24, 64, 2],
    [70, 100, 69, 3],
  ] as const) {
    const e = toyEmbedding(n, d, 0, seed);
    const a = buildNeighbourTable(new JsBackend(e), K);
    const b = buildNeighbourTable(await createWasmBackend(e), K);
    assert.deepEqual(b.ids, a.ids, `n=${n} d=${d}`);
    assert.equal(b.dMin, a.dMin);
    assert.ok(Math.abs(b.dMax - a.dMax) < 1e-4 * a.dMax, `d_max ${b.dMax} vs ${a.dMax}`);
  }
});

test("distance rows agree to float tolerance; the word itself and its neighbours in float64", async () => {
  const e = toyEmbedding(500, 20, 16, 4);
  const js = new JsBackend(e),
    wasm = await createWasmBackend(e);
  const ids = Int32Array.of(0, 17, 499, 250, 17);
  const rows: Float64Array[] = [];
  js.forEachDistanceRow(ids, (_i, r) => rows.push(r.slice()));
  let i = 0;
  wasm.forEachDistanceRow(ids, (_j, r) => {
    const ref = rows[i++]!;
    for (let y = 0; y < e.n; y++) assert.ok(Math.abs(r[y]! - ref[y]!) < 1e-4, `row ${i} col ${y}: ${r[y]} vs ${ref[y]}`);
    const w = ids[i - 1]!;
    assert.equal(r[w], 0);
    for (let j = 0; j < e.K; j++) {
      const y = e.neighbours![w * e.K + j]!;
      assert.ok(Math.abs(r[y]! - ref[y]!) <= 1e-14 * ref[y]!, "neighbour distances are float64-exact (to summation order)");
    }
  });
});

test("a distance row from column `from` on is the full row's tail, column for column, on both backends", async () => {
  const e = toyEmbedding(500, 20, 16, 4);
  const ids = Int32Array.of(0, 17, 499, 250, 140, 17);
  for (const b of [new JsBackend(e), await createWasmBackend(e)]) {
    const full: Float64Array[] = [];
    b.forEachDistanceRow(ids, (_i, r) => full.push(r.slice()));
    for (const from of [1, 8, 137, 499]) {
      b.forEachDistanceRow(
        ids,
        (i, r) => {
          assert.equal(r.length, e.n - from, `${b.name} from ${from}`);
          assert.deepEqual(r, full[i]!.subarray(from), `${b.name} row ${i} from ${from}`);
        },
        from,
      );
    }
  }
});

test("exact nearest word of arbitrary points agrees (M1's search)", async () => {
  const e = toyEmbedding(800, 30, 0, 5);
  const js = new JsBackend(e),
    wasm = await createWasmBackend(e);
  const pts = new Float64Array(300 * e.d);
  const u = js.uniforms(pts.length);
  for (let i = 0; i < pts.length; i++) pts[i] = (u[i]! - 0.5) * 3;
  assert.deepEqual(wasm.nearestWords(pts, 300), js.nearestWords(pts, 300));
});

test("same seeded stream, same outputs, for every mechanism", async () => {
  const e = toyEmbedding(400, 16, 32, 6);
  const js = await createVeil({ pack: e, backend: "js" }),
    wasm = await createVeil({ pack: e, backend: "wasm" });
  const ids = Int32Array.from({ length: 3000 }, (_, i) => (i * 7919) % e.n);
  const eps: Record<MechanismName, number> = {
    laplace: 6,
    exponential: 5,
    tem: 8,
    gumbel: wasm.minEpsilon("gumbel") * 2,
    mahalanobis: 6,
    vickrey: 6,
    santext: 5,
    custext: 3,
    diffractor: 0.5,
    "laplace-rank": 6,
  };
  for (const m of MECHANISMS) {
    const o: MechanismOptions = { mechanism: m, epsilon: eps[m] };
    useSeededRandom(js, 99);
    useSeededRandom(wasm, 99);
    const a = js.privatizeIds(ids, o),
      b = wasm.privatizeIds(ids, o);
    assert.deepEqual(b, a, m);
    assert.ok(
      a.some((y, i) => y !== ids[i]),
      `${m} changed nothing: the comparison would be vacuous`,
    );
  }
});

test("a pack without a neighbour table gets the exact one at load, on every backend", async () => {
  const { writePack } = await import("../embeddings/pack-writer.js");
  const full = toyEmbedding(400, 16, 24, 7);
  const bytes = await writePack({ words: full.words, d: full.d, vectors: full.vectors, neighbours: null, K: 0, dMin: 0, dMax: 0 });
  for (const backend of ["wasm", "js"] as const) {
    const seen: number[] = [];
    const veil = await createVeil({ pack: bytes, backend, neighbours: 24, onIndexProgress: (done) => seen.push(done) });
    assert.equal(veil.embedding.K, 24);
    assert.deepEqual(veil.embedding.neighbours, full.neighbours, backend);
    assert.equal(veil.embedding.dMin, full.dMin);
    assert.ok(Math.abs(veil.embedding.dMax - full.dMax) < 1e-9 * full.dMax);
    assert.ok(seen.length > 0 && seen.at(-1) === 400, `progress reached the last row on ${backend}`);
    // M4 works on the built table.
    const r = veil.perturb("w1 w2 w3", { mechanism: "gumbel", epsilon: veil.minEpsilon("gumbel") * 2 });
    assert.equal(r.words.length, 3);
  }
});

test("perturbAsync gives what perturb gives under the same seed (a synchronous backend)", async () => {
  const e = toyEmbedding(300, 12, 16, 8);
  const veil = await createVeil({ pack: e, backend: "wasm" });
  for (const mechanism of MECHANISMS) {
    const o: MechanismOptions = { mechanism, epsilon: mechanism === "gumbel" ? veil.minEpsilon("gumbel") * 1.5 : 8 };
    useSeededRandom(veil, 11);
    const a = veil.perturb("w1 w5 w9 w1 w200", o);
    useSeededRandom(veil, 11);
    const b = await veil.perturbAsync("w1 w5 w9 w1 w200", o);
    assert.equal(b.text, a.text, mechanism);
  }
});

/** The mechanisms without a closed-form output law (docs/mechanisms.md). */
const NO_LAW = new Set<MechanismName>(["laplace", "mahalanobis", "vickrey", "laplace-rank"]);

test("int8 and float16 packs: the table is built on the stored values, backends agree, and every exact law sums to 1", async () => {
  const { writePack } = await import("../embeddings/pack-writer.js");
  const { encodeVectors } = await import("../embeddings/vector-codec.js");
  const src = toyEmbedding(300, 12, 0, 8);
  for (const type of ["int8", "f16"] as const) {
    const enc = encodeVectors(src.vectors, src.d, type);
    const bytes = await writePack({ words: src.words, d: src.d, vectors: enc, neighbours: null, K: 0, dMin: 0, dMax: 0 });
    const js = await createVeil({ pack: bytes.slice(), backend: "js", neighbours: 20 });
    const wasm = await createVeil({ pack: bytes.slice(), backend: "wasm", neighbours: 20 });
    assert.deepEqual(js.embedding.vectors, enc.values, `${type}: the embedding is the stored values`);
    // The table and d_min are those of the stored values (a table built on the source's float32 vectors may differ).
    const onValues = buildNeighbourTable(new JsBackend({ ...src, vectors: enc.values }), 20);
    assert.deepEqual(wasm.embedding.neighbours, onValues.ids, type);
    assert.equal(wasm.embedding.dMin, onValues.dMin, type);
    const ids = Int32Array.from({ length: 2000 }, (_, i) => (i * 7919) % src.n);
    for (const m of MECHANISMS) {
      const o: MechanismOptions = { mechanism: m, epsilon: m === "gumbel" ? wasm.minEpsilon("gumbel") * 2 : m === "diffractor" ? 0.5 : 6 };
      useSeededRandom(js, 5);
      useSeededRandom(wasm, 5);
      assert.deepEqual(wasm.privatizeIds(ids, o), js.privatizeIds(ids, o), `${type} ${m}`);
      const law = wasm.law(src.words[3]!, o);
      if (NO_LAW.has(m)) {
        assert.equal(law, null, `${m} has no closed-form law`);
        continue;
      }
      assert.ok(law, `${type} ${m}: an exact law`);
      let total = 0;
      for (let y = 0; y < src.n; y++) total += law.prob(y);
      assert.ok(Math.abs(total - 1) < 1e-9, `${type} ${m}: the exact law sums to 1 (${total})`);
    }
  }
});

test("an int8 pack with its table: WebAssembly scales the stored values itself, to the embedding's float32 bits, and agrees with JavaScript", async () => {
  const { writePack } = await import("../embeddings/pack-writer.js");
  const { readPack, storedInt8 } = await import("../embeddings/pack-reader.js");
  const { encodeVectors } = await import("../embeddings/vector-codec.js");
  const src = toyEmbedding(300, 12, 0, 8);
  const enc = encodeVectors(src.vectors, src.d, "int8");
  const table = buildNeighbourTable(new JsBackend({ ...src, vectors: enc.values }), 16);
  const bytes = await writePack({ words: src.words, d: src.d, vectors: enc, neighbours: table.ids, K: 16, dMin: table.dMin, dMax: table.dMax });
  const e = await readPack(bytes);
  assert.ok(storedInt8(e), "readPack keeps the stored int8 values of the embedding it returns");
  assert.equal(storedInt8({ ...e }), undefined, "a copy may carry other vectors: it gets none");
  const wasm = await createWasmBackend(e);
  // The module's own copy, scaled in place from the int8 values (the embedding's vectors are not read for it).
  const own = new Float32Array(
    (wasm as unknown as { ex: { memory: WebAssembly.Memory } }).ex.memory.buffer,
    (wasm as unknown as { vecs: number }).vecs,
    e.n * e.d,
  );
  assert.deepEqual(new Uint32Array(own.slice().buffer), new Uint32Array(enc.values.slice().buffer), "the same float32 bits as int8Values");
  const js = await createVeil({ pack: e, backend: "js" });
  const viaWasm = await createVeil({ pack: e, backend: "wasm" });
  const ids = Int32Array.from({ length: 2000 }, (_, i) => (i * 7919) % src.n);
  for (const m of MECHANISMS) {
    const o: MechanismOptions = { mechanism: m, epsilon: m === "gumbel" ? viaWasm.minEpsilon("gumbel") * 2 : m === "diffractor" ? 0.5 : 6 };
    useSeededRandom(js, 5);
    useSeededRandom(viaWasm, 5);
    assert.deepEqual(viaWasm.privatizeIds(ids, o), js.privatizeIds(ids, o), m);
  }
  wasm.dispose();
});

test("the peers' variants agree too: Vickrey on M5's noise, 1-Diffractor's list-tem, CusText+ and the stopword option", async () => {
  const e = toyEmbedding(400, 16, 32, 9);
  const words = e.words.map((w, i) => (i === 5 ? "the" : i === 9 ? "of" : w)); // two stopwords in the vocabulary
  const { makeIndex } = await import("../embeddings/embedding.js");
  const pack = { ...e, words, index: makeIndex(words) };
  const js = await createVeil({ pack, backend: "js" }),
    wasm = await createVeil({ pack, backend: "wasm" });
  const ids = Int32Array.from({ length: 2000 }, (_, i) => (i * 7919) % e.n);
  const variants: MechanismOptions[] = [
    { mechanism: "vickrey", epsilon: 6, base: "mahalanobis", t: 0.4 },
    { mechanism: "diffractor", epsilon: 0.7, variant: "list-tem", radius: 4 },
    { mechanism: "custext", epsilon: 2, keep: "stopwords" },
    { mechanism: "santext", epsilon: 4, s: 0.3, p: 0.5, keep: "stopwords" },
    { mechanism: "laplace-rank", epsilon: 6, c: 0.02 },
  ];
  for (const o of variants) {
    useSeededRandom(js, 21);
    useSeededRandom(wasm, 21);
    const a = js.privatizeIds(ids, o),
      b = wasm.privatizeIds(ids, o);
    assert.deepEqual(b, a, JSON.stringify(o));
    assert.ok(
      a.some((y, i) => y !== ids[i]),
      `${o.mechanism} changed nothing`,
    );
  }
});
