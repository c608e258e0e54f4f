// The attacker's success R: by hand on a toy embedding, exact against sampled,
// monotone in epsilon, and the two ends (identity: 1; uniform output: the prior's baseline).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil } from "../veil.js";
import { makeIndex, type Embedding } from "../embeddings/embedding.js";
import { toyEmbedding } from "../test-support/toy.js";
import { testSeed } from "../test-support/gof.js";
import { useSeededRandom, backendOf } from "../testing.js";
import { prepare } from "../mechanisms/run.js";
import { TopPerOutput, attackInputs, reconstructionRate, sampledRate } from "./attack.js";

/** Three words on a line at 0, 1 and 3 (d = 1), no neighbour table. */
function line(): Embedding {
  const words = ["a", "b", "c"];
  return {
    n: 3,
    d: 1,
    words,
    vectors: Float32Array.of(0, 1, 3),
    neighbours: null,
    K: 0,
    dMin: 1,
    dMax: 3,
    metadata: {},
    sha256: "line",
    index: makeIndex(words),
  };
}

test("R by hand: M2 on three words at 0, 1, 3 with a uniform prior", async () => {
  const veil = await createVeil({ pack: line(), backend: "js" });
  const eps = 2;
  const d = [
    [0, 1, 3],
    [1, 0, 2],
    [3, 2, 0],
  ];
  // P(y|x) = exp(-eps d / 2) / Z_x; the attacker seeing y guesses the x with the largest P(y|x) (uniform prior).
  const P = d.map((row) => {
    const w = row.map((v) => Math.exp((-eps * v) / 2));
    const z = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / z);
  });
  const R = [0, 1, 2].reduce((s, y) => s + Math.max(...[0, 1, 2].map((x) => P[x]![y]!)) / 3, 0);
  const R2 = [0, 1, 2].reduce(
    (s, y) =>
      s +
      [0, 1, 2]
        .map((x) => P[x]![y]! / 3)
        .sort((a, b) => b - a)
        .slice(0, 2)
        .reduce((a, b) => a + b, 0),
    0,
  );
  const r = veil.attack({ mechanism: "exponential", epsilon: eps }, { prior: "uniform", k: 2 });
  assert.ok(r.exact);
  assert.ok(Math.abs(r.R - R) < 1e-12, `${r.R} vs ${R}`);
  assert.ok(Math.abs(r.Rk - R2) < 1e-12, `${r.Rk} vs ${R2}`);
  assert.deepEqual(r.baseline, { R: 1 / 3, Rk: 2 / 3 });
  // A prior counted from a corpus: "a" twice as likely as "b", "c" never.
  const prior = veil.corpusPrior(["a a b", "A, unknown"]);
  assert.deepEqual([...prior], [3, 1, 0]);
  const withPrior = veil.attack({ mechanism: "exponential", epsilon: eps }, { prior, k: 1 });
  const expected = [0, 1, 2].reduce((s, y) => s + Math.max(0.75 * P[0]![y]!, 0.25 * P[1]![y]!), 0);
  assert.ok(Math.abs(withPrior.R - expected) < 1e-12);
  assert.equal(withPrior.inputs, 2);
  assert.equal(withPrior.priorCoverage, 1);
});

test("the two ends: an identity-like mechanism has R = 1, a uniform one the prior's baseline", async () => {
  const veil = await createVeil({ pack: toyEmbedding(60, 6, 16, 2), backend: "wasm" });
  const prior = Float64Array.from({ length: 60 }, (_, i) => 1 / (i + 1));
  const sharp = veil.attack({ mechanism: "exponential", epsilon: 5000 }, { prior });
  assert.ok(sharp.R > 1 - 1e-9 && sharp.Rk > 1 - 1e-9, String(sharp.R));
  // epsilon -> 0: every output equally likely from every input, so the best guess is the prior's likeliest word.
  const flat = veil.attack({ mechanism: "exponential", epsilon: 1e-9 }, { prior });
  assert.ok(Math.abs(flat.R - flat.baseline.R) < 1e-6, `${flat.R} vs ${flat.baseline.R}`);
  assert.ok(Math.abs(flat.Rk - flat.baseline.Rk) < 1e-6);
  const tem = veil.attack({ mechanism: "tem", epsilon: 1e-6 }, { prior });
  assert.ok(Math.abs(tem.R - tem.baseline.R) < 1e-4, `${tem.R} vs ${tem.baseline.R}`);
});

test("R falls as epsilon falls, for M2, M3 and M1", async () => {
  const veil = await createVeil({ pack: toyEmbedding(120, 8, 24, 5), backend: "wasm" });
  useSeededRandom(veil, testSeed(21));
  for (const mechanism of ["exponential", "tem", "laplace"] as const) {
    const rs = [1, 4, 16].map((epsilon) => veil.attack({ mechanism, epsilon }, { words: 60, samples: 400 }).R);
    assert.ok(rs[0]! < rs[1]! && rs[1]! < rs[2]!, `${mechanism}: ${rs.join(", ")}`);
  }
});

test("sampled R converges to the exact R on M2 (whose law is known): the bounds hold it and narrow", async () => {
  const veil = await createVeil({ pack: toyEmbedding(80, 6, 16, 7), backend: "wasm" });
  useSeededRandom(veil, testSeed(22));
  const backend = backendOf(veil);
  const prepared = prepare(backend.embedding, { mechanism: "exponential", epsilon: 6 });
  const exact = reconstructionRate(backend, prepared, { words: 40 });
  const { ids, p } = attackInputs(80, "uniform", 40);
  const widths = [200, 4000].map((samples) => {
    const s = sampledRate(backend, prepared, ids, p, 5, samples);
    const [lo, hi] = s.sampled!.bounds;
    assert.ok(lo <= exact.R && exact.R <= hi, `${samples} draws: [${lo}, ${hi}] misses ${exact.R}`);
    const [loK, hiK] = s.sampled!.boundsK;
    assert.ok(loK <= exact.Rk && exact.Rk <= hiK, `${samples} draws, top 5: [${loK}, ${hiK}] misses ${exact.Rk}`);
    assert.ok(Math.abs(s.R - exact.R) < 0.1, `${s.R} vs ${exact.R}`);
    return hi - lo;
  });
  assert.ok(widths[1]! < widths[0]! / 2, `bounds did not narrow: ${widths.join(" then ")}`);
});

test("M4's exact R uses its sparse law and agrees with sampling", async () => {
  const veil = await createVeil({ pack: toyEmbedding(150, 8, 32, 9), backend: "wasm" });
  useSeededRandom(veil, testSeed(23));
  const options = { mechanism: "gumbel" as const, epsilon: veil.minEpsilon("gumbel") * 1.5 };
  const exact = veil.attack(options, { words: 50 });
  assert.ok(exact.exact && exact.R > exact.baseline.R && exact.R < 1);
  const backend = backendOf(veil);
  const { ids, p } = attackInputs(150, "uniform", 50);
  const s = sampledRate(backend, prepare(backend.embedding, options), ids, p, 5, 3000);
  assert.ok(s.sampled!.bounds[0] <= exact.R && exact.R <= s.sampled!.bounds[1], `${JSON.stringify(s.sampled)} vs ${exact.R}`);
});

test("TopPerOutput keeps the k largest offers per output, in order, and bad options are typed errors", async () => {
  const t = new TopPerOutput(2, 3);
  for (const [y, v, x] of [
    [0, 0.1, 1],
    [0, 0.3, 2],
    [0, 0.2, 3],
    [0, 0.05, 4],
    [0, 0.4, 5],
    [1, 0.5, 6],
  ] as const)
    t.offer(y, v, x);
  assert.deepEqual([...t.values], [0.4, 0.3, 0.2, 0.5, 0, 0]);
  assert.deepEqual([...t.owners], [5, 2, 3, 6, -1, -1]);
  const r = t.rates();
  assert.ok(Math.abs(r.R - 0.9) < 1e-12 && Math.abs(r.Rk - 1.4) < 1e-12);
  const veil = await createVeil({ pack: line(), backend: "js" });
  assert.throws(() => veil.attack({ mechanism: "exponential", epsilon: 1 }, { prior: Float64Array.of(1, -1, 0) }), /non-negative/);
  assert.throws(() => veil.attack({ mechanism: "exponential", epsilon: 1 }, { words: 0 }), /positive integer/);
  assert.throws(() => veil.attack({ mechanism: "exponential", epsilon: 1 }, { k: 0 }), /k must be/);
  assert.throws(() => veil.attack({ mechanism: "exponential", epsilon: Number.NaN }), /epsilon/i);
});
