// Each mechanism against its exact output law (chi-square at ALPHA), with the
// power check the issue asks for: the same samples must reject the law at 1.1x
// epsilon (for M4 with an explicit scale: at 1.1x the scale).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil, type Veil } from "../veil.js";
import { useSeededRandom } from "../testing.js";
import { toyEmbedding } from "../test-support/toy.js";
import { ALPHA, chiSquareTest, countValues, testSeed, wilson } from "../test-support/gof.js";
import { lawMap } from "../audit/audit.js";
import type { MechanismOptions } from "./options.js";
import { wordDistance } from "../embeddings/embedding.js";

const toy = toyEmbedding(60, 5, 16, 3);
const N = 200_000;

async function veils(): Promise<Record<"js" | "wasm", Veil>> {
  return { js: await createVeil({ pack: toy, backend: "js" }), wasm: await createVeil({ pack: toy, backend: "wasm" }) };
}

function fitAndPower(v: Veil, word: string, o: MechanismOptions, off: MechanismOptions, seed: number) {
  useSeededRandom(v, testSeed(seed));
  const w = v.wordId(word)!;
  const law = v.law(word, o)!;
  assert.ok(Math.abs(law.total() - 1) < 1e-9, `law sums to ${law.total()}`);
  const outs = v.privatizeIds(new Int32Array(N).fill(w), o);
  const counts = countValues(outs);
  const ok = chiSquareTest(counts, lawMap(law), N);
  assert.ok(ok.p > ALPHA, `${o.mechanism}: exact law rejected (chi2 ${ok.stat.toFixed(1)}, df ${ok.df}, p ${ok.p.toExponential(2)})`);
  const bad = chiSquareTest(counts, lawMap(v.law(word, off)!), N);
  assert.ok(bad.p < ALPHA, `${o.mechanism}: no power against the 10%-off law (chi2 ${bad.stat.toFixed(1)}, df ${bad.df}, p ${bad.p.toExponential(2)})`);
}

const cases: [string, MechanismOptions, MechanismOptions][] = [
  ["M2 exponential", { mechanism: "exponential", epsilon: 4 }, { mechanism: "exponential", epsilon: 4.4 }],
  ["M3 TEM, radius inside the table", { mechanism: "tem", epsilon: 7.5, beta: 0.3 }, { mechanism: "tem", epsilon: 8.25, beta: 0.3 }],
  ["M3 TEM, radius beyond the table (full row)", { mechanism: "tem", epsilon: 12 }, { mechanism: "tem", epsilon: 13.2 }],
  ["M4 truncated Gumbel, explicit scale", { mechanism: "gumbel", epsilon: 1, scale: 0.3 }, { mechanism: "gumbel", epsilon: 1, scale: 0.33 }],
];

for (const [name, o, off] of cases) {
  for (const backend of ["js", "wasm"] as const) {
    test(`${name} (${backend}): samples fit the exact law; the law at 1.1x is rejected`, async () => {
      const v = (await veils())[backend];
      fitAndPower(v, "w7", o, off, 100 + name.length);
    });
  }
}

test("M4 calibrated: samples fit the exact law (epsilon moves the law too little for a 1.1x power check)", async () => {
  const v = await createVeil({ pack: toy, backend: "wasm" });
  useSeededRandom(v, testSeed(77));
  const eps = v.minEpsilon("gumbel") * 1.05;
  const o: MechanismOptions = { mechanism: "gumbel", epsilon: eps };
  const law = v.law("w11", o)!;
  const counts = countValues(v.privatizeIds(new Int32Array(N).fill(11), o));
  const ok = chiSquareTest(counts, lawMap(law), N);
  assert.ok(ok.p > ALPHA, `calibrated M4 rejected: p ${ok.p}`);
  // Why no power check at 1.1x epsilon here: the calibration puts epsilon inside a
  // logarithm (b = 2 d_max / min(W0(2 a d_max), ln(a d_min))), so 10% more epsilon
  // moves the output law by a total variation this small. The scale cases above
  // carry the power check for M4's sampler.
  const off = v.law("w11", { mechanism: "gumbel", epsilon: eps * 1.1 })!;
  let tv = 0;
  for (let y = 0; y < toy.n; y++) tv += Math.abs(law.prob(y) - off.prob(y)) / 2;
  assert.ok(tv < 0.01, `total variation ${tv}`);
});

test("M2 and M3 satisfy the metric-DP inequality exactly on the toy vocabulary", async () => {
  const v = await createVeil({ pack: toy, backend: "js" });
  for (const o of [
    { mechanism: "exponential", epsilon: 3 },
    { mechanism: "tem", epsilon: 20 },
  ] as MechanismOptions[]) {
    const laws = toy.words.slice(0, 20).map((w) => v.law(w, o)!);
    for (let a = 0; a < laws.length; a++)
      for (let b = 0; b < laws.length; b++) {
        const bound = Math.exp(o.epsilon * wordDistance(toy, a, b)) * (1 + 1e-9);
        for (let y = 0; y < toy.n; y++) assert.ok(laws[a]!.prob(y) <= bound * laws[b]!.prob(y), `${o.mechanism}: P(${y}|${a}) > e^(eps d) P(${y}|${b})`);
      }
  }
});

test("M1 and M2 satisfy the metric-DP inequality empirically (Wilson bounds, z = 5)", async () => {
  const v = await createVeil({ pack: toy, backend: "wasm" });
  useSeededRandom(v, testSeed(5));
  const M = 40_000;
  for (const o of [
    { mechanism: "laplace", epsilon: 4 },
    { mechanism: "exponential", epsilon: 3 },
  ] as MechanismOptions[]) {
    const pairs: [number, number][] = [
      [0, toy.neighbours![0]!],
      [1, toy.neighbours![toy.K]!],
      [2, 30],
    ];
    for (const [a, b] of pairs) {
      const ca = countValues(v.privatizeIds(new Int32Array(M).fill(a), o));
      const cb = countValues(v.privatizeIds(new Int32Array(M).fill(b), o));
      const bound = Math.exp(o.epsilon * wordDistance(toy, a, b));
      for (const [y, k] of ca) {
        const lo = wilson(k, M).lo,
          hi = wilson(cb.get(y) ?? 0, M).hi;
        assert.ok(lo <= bound * hi, `${o.mechanism}: output ${y} has P(.|${a}) >= ${lo} > e^(eps d) * ${hi}`);
      }
    }
  }
});
