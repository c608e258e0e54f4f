// The neighbour table with each pair computed once (knn-symmetric.ts) is the plain build's,
// row for row: the same ids, nearest and farthest, whether one part does every block or
// several parts split them and their shortlists are merged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { JsBackend } from "./js.js";
import { createWasmBackend } from "./wasm.js";
import { finishSymmetric, symmetricRanges } from "./knn-symmetric.js";
import { toyEmbedding } from "../test-support/toy.js";

test("each pair once, in 1, 2 or 3 parts, gives the plain build's table (odd sizes, ties, a short last block)", async () => {
  for (const [n, d, K, seed] of [
    [333, 13, 20, 1],
    [1000, 24, 64, 2],
    [70, 100, 69, 3],
    [200, 4, 10, 4],
  ] as const) {
    const e = toyEmbedding(n, d, 0, seed, seed === 4 ? 0.01 : 1); // seed 4: coordinates close together, so float32 ties and rescans happen
    const plain = new JsBackend(e).knn(K, 0, n);
    const wasm = await createWasmBackend(e);
    for (const parts of [1, 2, 3]) {
      const shortlists = symmetricRanges(n, parts).map(([a, b]) => wasm.knnSymmetricPart(K, a, b));
      const got = finishSymmetric(e, shortlists, K);
      const what = `n=${n} d=${d} K=${K}, ${parts} part(s)`;
      assert.deepEqual(got.ids, plain.ids, what);
      assert.deepEqual(got.nearest, plain.nearest, what);
      for (let w = 0; w < n; w++) assert.ok(Math.abs(got.farthest[w]! - plain.farthest[w]!) <= 1e-4 * plain.farthest[w]!, `${what}: farthest of ${w}`);
    }
  }
});

test("the ranges cover the vocabulary in order, start at multiples of 64, and split the pairs about evenly", () => {
  for (const [n, parts] of [
    [50_000, 2],
    [50_000, 4],
    [100, 3],
    [64, 2],
  ] as const) {
    const r = symmetricRanges(n, parts);
    assert.equal(r[0]![0], 0);
    assert.equal(r.at(-1)![1], n);
    r.forEach(([a, b], i) => {
      assert.ok(b > a && a % 64 === 0, `${n}/${parts}: range ${i} [${a}, ${b})`);
      if (i > 0) assert.equal(a, r[i - 1]![1]);
    });
    if (n >= 10_000) {
      const work = r.map(([a, b]) => (b - a) * (n - (a + b) / 2));
      assert.ok(Math.max(...work) / Math.min(...work) < 1.05, `${n}/${parts}: work ${work.map(Math.round)}`);
    }
  }
});
