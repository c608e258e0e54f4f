// M2's and M3's weight rows: the WebAssembly kernel's weights against exp(−scale·d) on the
// backend's own distance row, and every draw (pick, nthOutside) against a plain scan of the
// weights the exact law reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { JsBackend } from "./js.js";
import { createWasmBackend } from "./wasm.js";
import type { Backend } from "./backend.js";
import { WEIGHT_EXPONENT_FLOOR, type WeightRow } from "./weight-row.js";
import { toyEmbedding } from "../test-support/toy.js";
import { expWeights } from "../mechanisms/exponential.js";
import { seededSource } from "../random/seeded.js";

// 1003 words: a last block of 43 and a last group of 3, so the row's end is crossed.
const toy = toyEmbedding(1003, 24, 16, 7);

async function backends(): Promise<Backend[]> {
  return [new JsBackend(toy), await createWasmBackend(toy)];
}

/** Each row of `ids`, copied out of the callback (weights, total, inside) with the row itself for draws. */
function rowsOf(b: Backend, ids: Int32Array, scale: number, radius: number, visit: (w: number, row: WeightRow, weights: Float64Array) => void): void {
  b.forEachWeightRow(ids, scale, radius, (i, row) => visit(ids[i]!, row, row.weights()));
}

function distanceRows(b: Backend, ids: Int32Array): Float64Array[] {
  const rows: Float64Array[] = [];
  b.forEachDistanceRow(ids, (_i, r) => rows.push(r.slice()));
  return rows;
}

const IDS = Int32Array.of(0, 5, 1002, 640, 5);

test("the WebAssembly kernel's weights are exp(-scale d) of its distance row to 2e-7 + 1.5e-7 scale d (float32 rounding of d and of scale d), exactly so for the word and its table neighbours", async () => {
  const wasm = await createWasmBackend(toy);
  for (const [scale, radius] of [
    [1.5, Infinity],
    [12, Infinity],
    [6, 3.6],
  ] as const) {
    const dist = distanceRows(wasm, IDS);
    let r = 0;
    rowsOf(wasm, IDS, scale, radius, (w, _row, weights) => {
      const d = dist[r++]!;
      const exact = new Set([w, ...toy.neighbours!.subarray(w * toy.K, (w + 1) * toy.K)]);
      for (let y = 0; y < toy.n; y++) {
        const want = d[y]! <= radius ? Math.exp(-scale * d[y]!) : 0;
        if (exact.has(y)) assert.equal(weights[y], want, `word ${w}, neighbour ${y}`);
        else if (Math.abs(d[y]! - radius) > 1e-5)
          assert.ok(Math.abs(weights[y]! - want) <= (2e-7 + 1.5e-7 * scale * d[y]!) * want, `word ${w}, y ${y}: ${weights[y]} vs ${want}`);
      }
    });
  }
});

test("pick is the inverse CDF of the weights in id order, and total and inside are theirs (both backends)", async () => {
  const bits = new Uint32Array(400);
  for (const b of await backends()) {
    rowsOf(b, IDS, 2, Infinity, (w, row, weights) => {
      let sum = 0;
      for (const x of weights) sum += x;
      assert.ok(Math.abs(row.total - sum) <= 1e-12 * sum, `${b.name} word ${w}: total`);
      assert.equal(row.inside, toy.n);
      seededSource(w + 1).fill(new Uint8Array(bits.buffer));
      for (const x of bits) {
        const target = (x / 2 ** 32) * row.total;
        assert.equal(row.pick(target), scanPick(weights, target), `${b.name} word ${w}, target ${target}`);
      }
      assert.equal(row.pick(row.total), lastPositive(weights));
      assert.equal(
        row.pick(0),
        weights.findIndex((x) => x > 0),
      );
    });
  }
});

test("within a radius: weights beyond it are 0, inside counts the rest, nthOutside lists the others in id order (both backends)", async () => {
  for (const b of await backends()) {
    rowsOf(b, IDS, 4, 3.6, (w, row, weights) => {
      const outside = weights.reduce<number[]>((o, x, y) => (x === 0 ? [...o, y] : o), []);
      assert.equal(row.inside, toy.n - outside.length, `${b.name} word ${w}`);
      assert.ok(outside.length > 0 && row.inside > 1, "the radius cuts the row");
      outside.forEach((y, r) => assert.equal(row.nthOutside(r), y));
      assert.throws(() => row.nthOutside(outside.length), RangeError);
    });
  }
});

test("every word keeps a weight of at least e^-708, however large the scale (no output impossible for one word and possible for another)", async () => {
  // The row samplers' law (M7's) floors the same way.
  assert.ok(expWeights(Float64Array.of(0, 1, 100), 1e4).every((p) => p > 0));
  for (const b of await backends()) {
    rowsOf(b, IDS, 1e4, Infinity, (w, _row, weights) => {
      for (let y = 0; y < toy.n; y++) assert.ok(weights[y]! >= Math.exp(WEIGHT_EXPONENT_FLOOR) * 0.999, `${b.name} word ${w}, y ${y}: ${weights[y]}`);
    });
  }
});

/** The first index whose running sum reaches target, never one of weight 0; past the end, the last positive. */
function scanPick(weights: Float64Array, target: number): number {
  let acc = 0;
  for (let y = 0; y < weights.length; y++) {
    if (!(weights[y]! > 0)) continue;
    acc += weights[y]!;
    if (acc >= target) return y;
  }
  return lastPositive(weights);
}

function lastPositive(weights: Float64Array): number {
  for (let y = weights.length - 1; y >= 0; y--) if (weights[y]! > 0) return y;
  return -1;
}

test("a radius whose exponent passes the floor (scale x radius >= 707) is still cut exactly: WebAssembly goes through the float64 rows", async () => {
  const wasm = await createWasmBackend(toy);
  const dist = distanceRows(wasm, IDS);
  let r = 0;
  rowsOf(wasm, IDS, 250, 3.6, (w, row, weights) => {
    const d = dist[r++]!;
    for (let y = 0; y < toy.n; y++) assert.equal(weights[y]! > 0, d[y]! <= 3.6, `word ${w}, y ${y}`);
    assert.ok(row.inside < toy.n);
  });
});
