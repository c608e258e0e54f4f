// The peers' mechanisms (docs/mechanisms.md, M5-M10) against their exact laws
// where one exists (M7, M8, M9: chi-square, and the same samples must reject the
// law at 1.1x epsilon), and through their noise-law checks where none does (M5,
// M6, M10), on both backends; plus the identities the spec names (M6 with t = 0
// is M1, SanText with s = 1 is M2) and the pack-derived structures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil, type Veil } from "../veil.js";
import { backendOf, useSeededRandom } from "../testing.js";
import { toyEmbedding } from "../test-support/toy.js";
import { ALPHA, chiSquareTest, countValues, testSeed } from "../test-support/gof.js";
import { lawMap, runAudit } from "../audit/audit.js";
import { veilSubject } from "../audit/subjects.js";
import type { MechanismOptions } from "./options.js";
import { wordDistance } from "../embeddings/embedding.js";
import { computeCustextGroups, computeWordOrder, custextGroups, wordOrder } from "../embeddings/derived.js";
import { mahalanobisFactors, normalisedCovariance } from "./mahalanobis.js";
import { geometricOffset } from "./diffractor.js";
import { rankFromUniform } from "./laplace-rank.js";
import { custextWeights } from "./custext.js";

const toy = toyEmbedding(60, 5, 16, 3);
const N = 200_000;

async function veil(backend: "js" | "wasm", seed: number): Promise<Veil> {
  const v = await createVeil({ pack: toy, backend });
  useSeededRandom(v, testSeed(seed));
  return v;
}

const LAW_CASES: [string, MechanismOptions][] = [
  ["M7 SanText+, a sensitive word", { mechanism: "santext", epsilon: 3 }],
  ["M7 SanText+, a non-sensitive word", { mechanism: "santext", epsilon: 3, p: 0.3 }],
  ["M8 CusText, groups of 10", { mechanism: "custext", epsilon: 2, groupSize: 10 }],
  ["M9 1-Diffractor, geometric", { mechanism: "diffractor", epsilon: 0.4 }],
  ["M9 1-Diffractor, list-tem", { mechanism: "diffractor", epsilon: 0.8, variant: "list-tem", radius: 5 }],
];

for (const [name, o] of LAW_CASES) {
  for (const backend of ["js", "wasm"] as const) {
    test(`${name} (${backend}): samples fit the exact law; the law at 1.1x epsilon is rejected`, async () => {
      const v = await veil(backend, 300 + name.length);
      const w = name.includes("non-sensitive") ? 3 : 47; // ids 30-59 are sensitive at s = 0.5
      const law = v.law(toy.words[w]!, o)!;
      assert.ok(Math.abs(law.total() - 1) < 1e-9, `law sums to ${law.total()}`);
      const counts = countValues(v.privatizeIds(new Int32Array(N).fill(w), o));
      const ok = chiSquareTest(counts, lawMap(law), N);
      assert.ok(ok.p > ALPHA, `exact law rejected (chi2 ${ok.stat.toFixed(1)}, df ${ok.df}, p ${ok.p.toExponential(2)})`);
      const bad = chiSquareTest(counts, lawMap(v.law(toy.words[w]!, { ...o, epsilon: 1.1 * o.epsilon })!), N);
      assert.ok(bad.p < ALPHA, `no power against the 10%-off law (p ${bad.p.toExponential(2)})`);
    });
  }
}

const NOISE_CASES: MechanismOptions[] = [
  { mechanism: "mahalanobis", epsilon: 4 },
  { mechanism: "vickrey", epsilon: 4 },
  { mechanism: "vickrey", epsilon: 4, base: "mahalanobis", t: 0.5 },
  { mechanism: "laplace-rank", epsilon: 4, c: 0.3 },
];

for (const o of NOISE_CASES) {
  for (const backend of ["js", "wasm"] as const) {
    test(`${o.mechanism}${o.base ? ` (${o.base} base)` : ""} (${backend}): its random steps fit their exact laws, with power at 10% off`, async () => {
      const v = await veil(backend, 400 + o.epsilon);
      const checks = veilSubject(v, o).noise!;
      assert.ok(checks.length >= 1);
      for (const check of checks) {
        const r = check(o.mechanism === "laplace-rank" ? N : 40_000, ALPHA);
        assert.ok(r.pass, `${r.name}: exact law rejected (p ${r.p.toExponential(2)})`);
        assert.ok(r.powerOk, `${r.name}: no power (p ${r.powerP.toExponential(2)})`);
      }
    });
  }
}

test("M6 with t = 0 is M1, and SanText with s = 1 is M2 (same seed, same outputs)", async () => {
  const v = await veil("wasm", 1);
  const ids = Int32Array.from({ length: 500 }, (_, i) => (i * 13) % toy.n);
  const same = (a: MechanismOptions, b: MechanismOptions) => {
    useSeededRandom(v, 77);
    const x = v.privatizeIds(ids, a);
    useSeededRandom(v, 77);
    return [x, v.privatizeIds(ids, b)] as const;
  };
  const [m6, m1] = same({ mechanism: "vickrey", epsilon: 5, t: 0 }, { mechanism: "laplace", epsilon: 5 });
  assert.deepEqual(m6, m1);
  const [m7, m2] = same({ mechanism: "santext", epsilon: 3, s: 1 }, { mechanism: "exponential", epsilon: 3 });
  assert.deepEqual(m7, m2);
  assert.ok(m2.some((y, i) => y !== ids[i]));
});

test("M8's kept law table gives the exact inversion of each word's law, through changes of epsilon and group size", async () => {
  const v = await veil("wasm", 3);
  const ids = Int32Array.from({ length: 3000 }, (_, i) => (i * 7 + (i >> 4)) % toy.n);
  for (const [epsilon, groupSize] of [
    [2, 10],
    [5, 10],
    [2, 10],
    [2, 20],
    [5, 10],
  ] as const) {
    useSeededRandom(v, 90);
    const us = backendOf(v).uniforms(ids.length);
    useSeededRandom(v, 90);
    const out = v.privatizeIds(ids, { mechanism: "custext", epsilon, groupSize });
    const g = custextGroups(toy, groupSize);
    const expected = ids.map((w, i) => {
      const { members, probs } = custextWeights(toy, g, w, epsilon);
      let acc = 0;
      const j = probs.findIndex((p) => us[i]! <= (acc += p));
      return members[j < 0 ? members.length - 1 : j]!;
    });
    assert.deepEqual(out, expected, `epsilon ${epsilon}, groups of ${groupSize}`);
  }
});

test("M8's weights are floored as M2's: no member of a group is impossible, even at a huge epsilon", async () => {
  const v = await veil("js", 4);
  for (const epsilon of [2, 1500, 1e6]) {
    const g = custextGroups(toy, 10);
    for (const w of [0, 17, 59]) {
      const { probs } = custextWeights(toy, g, w, epsilon);
      assert.ok(Math.min(...probs) > 0, `epsilon ${epsilon}, word ${w}: a member has probability 0`);
      assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    }
  }
  assert.ok(Math.min(...v.law(toy.words[17]!, { mechanism: "custext", epsilon: 1e6, groupSize: 10 })!.probs) > 0);
});

test("SanText+ marks the non-sensitive words it kept as unprotected, and only those", async () => {
  const v = await veil("js", 2);
  const text = toy.words.join(" ");
  const r = v.perturb(text, { mechanism: "santext", epsilon: 3 });
  for (const [i, wr] of r.words.entries()) {
    if (i >= 30) assert.equal(wr.protected, true, "sensitive words are always resampled");
    else if (!wr.protected) assert.equal(wr.output, wr.source);
  }
  const kept = r.words.filter((x) => x.unprotectedBecause === "not-sensitive").length;
  assert.ok(kept > 10 && kept < 30, `about 80% of the 30 non-sensitive words kept, got ${kept}`);
});

test("the word order is the greedy nearest-unvisited chain, from word 0", () => {
  const order = computeWordOrder(toy);
  assert.equal(order[0], 0);
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    [...Array(toy.n).keys()],
  );
  const visited = new Set<number>();
  for (let i = 0; i + 1 < toy.n; i++) {
    visited.add(order[i]!);
    let best = -1;
    for (let y = 0; y < toy.n; y++) if (!visited.has(y) && (best < 0 || wordDistance(toy, order[i]!, y) < wordDistance(toy, order[i]!, best))) best = y;
    assert.equal(order[i + 1], best, `step ${i}`);
  }
  // Without a table the scan gives the same chain.
  assert.deepEqual(computeWordOrder({ ...toy, neighbours: null, K: 0 }), order);
});

test("CusText groups: frequency order, K - 1 nearest ungrouped words, the remainder joins the last group", () => {
  const K = 7; // 60 = 8 * 7 + 4: the last 4 join the eighth group
  const labels = computeCustextGroups(toy, K);
  const sizes = new Map<number, number>();
  for (const g of labels) sizes.set(g, (sizes.get(g) ?? 0) + 1);
  assert.deepEqual(
    [...sizes.values()].sort((a, b) => a - b),
    [7, 7, 7, 7, 7, 7, 7, 11],
  );
  // Replay: word 0 opens group 0 with its 6 nearest words.
  const byDist = [...Array(toy.n).keys()].filter((y) => y !== 0).sort((a, b) => wordDistance(toy, 0, a) - wordDistance(toy, 0, b) || a - b);
  assert.deepEqual(
    [...Array(toy.n).keys()].filter((y) => labels[y] === 0).sort((a, b) => a - b),
    [0, ...byDist.slice(0, 6)].sort((a, b) => a - b),
  );
  assert.deepEqual(computeCustextGroups({ ...toy, neighbours: null, K: 0 }, K), labels);
});

test("a pack's stored word order and groups are read, checked, and a damaged one refused", async () => {
  const { writePack } = await import("../embeddings/pack-writer.js");
  const { readPack } = await import("../embeddings/pack-reader.js");
  const { encodeIds, encodeWordOrder, WORD_ORDER_KEY, CUSTEXT_GROUPS_KEY } = await import("../embeddings/derived.js");
  const order = computeWordOrder(toy);
  const labels = computeCustextGroups(toy, 20);
  const base = { words: toy.words, d: toy.d, vectors: toy.vectors, neighbours: toy.neighbours, K: toy.K, dMin: toy.dMin, dMax: toy.dMax };
  const good = await readPack(
    await writePack({
      ...base,
      metadata: { [WORD_ORDER_KEY]: encodeWordOrder(toy, order), [CUSTEXT_GROUPS_KEY]: { groupSize: 20, groupOf: encodeIds(labels, toy.n) } },
    }),
  );
  assert.deepEqual(wordOrder(good).order, order, "replayed from the table and the stored scan steps");
  assert.deepEqual(custextGroups(good, 20).groupOf, labels);
  const scans = encodeWordOrder(toy, order);
  assert.ok(atob(scans.scans).length / 2 < toy.n - 1, "only the scan steps are stored");
  // A scan step that lands on a visited word, or a label with a gap, is refused.
  const wrong = Int32Array.of(0, ...new Array(toy.n).fill(0));
  const bad = await readPack(await writePack({ ...base, metadata: { [WORD_ORDER_KEY]: { scans: encodeIds(wrong, toy.n) } } }));
  assert.throws(() => wordOrder(bad), /replay to a permutation|too many/);
  const gap = Int32Array.from(labels, (g) => (g === 0 ? 1 : g));
  const bad2 = await readPack(await writePack({ ...base, metadata: { [CUSTEXT_GROUPS_KEY]: { groupSize: 20, groupOf: encodeIds(gap, toy.n) } } }));
  assert.throws(() => custextGroups(bad2, 20), /skips group 0/);
});

test("M5's factors: A² = Σ_λ, A·Σ_λ^(-1/2) = I, smallest eigenvalue at least 1 - λ", () => {
  const lambda = 0.2;
  const f = mahalanobisFactors(toy, lambda);
  const d = toy.d;
  const sigma = normalisedCovariance(toy);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let a2 = 0,
        id = 0;
      for (let k = 0; k < d; k++) ((a2 += f.sqrt[i * d + k]! * f.sqrt[k * d + j]!), (id += f.sqrt[i * d + k]! * f.inverseSqrt[k * d + j]!));
      const want = lambda * sigma[i * d + j]! + (i === j ? 1 - lambda : 0);
      assert.ok(Math.abs(a2 - want) < 1e-12, `A² [${i}][${j}] ${a2} vs ${want}`);
      assert.ok(Math.abs(id - (i === j ? 1 : 0)) < 1e-12);
    }
  assert.ok(f.minEigenvalue >= 1 - lambda - 1e-12);
});

test("the geometric offset and the rank are the inverse CDFs of their laws (edges included)", () => {
  const eps = 0.7,
    q = Math.exp(-eps);
  // F(-1) = q/(1+q) is the last uniform that gives k = -1; just above gives 0.
  assert.equal(geometricOffset(q / (1 + q), eps, 100), -1);
  assert.equal(geometricOffset(q / (1 + q) + 1e-12, eps, 100), 0);
  assert.equal(geometricOffset(1 / (1 + q) + 1e-12, eps, 100), 1);
  assert.equal(geometricOffset(1e-300, eps, 100), -100, "capped at the list length");
  const ce = 0.3,
    n = 50;
  const F = (r: number) => -Math.expm1(-ce * (r + 1)) / -Math.expm1(-ce * n);
  for (const r of [0, 1, 7, 48]) {
    assert.equal(rankFromUniform(F(r) - 1e-12, ce, n), r);
    assert.equal(rankFromUniform(F(r) + 1e-12, ce, n), r + 1);
  }
  assert.equal(rankFromUniform(1 - 1e-16, ce, n), n - 1);
});

test("the audit passes every peer mechanism as built, each in its own metric", async () => {
  const v = await veil("wasm", 9);
  const cases: MechanismOptions[] = [
    { mechanism: "mahalanobis", epsilon: 4 },
    { mechanism: "vickrey", epsilon: 4 },
    { mechanism: "santext", epsilon: 3 },
    { mechanism: "custext", epsilon: 2, groupSize: 10 },
    { mechanism: "diffractor", epsilon: 0.4 },
    { mechanism: "laplace-rank", epsilon: 4, c: 0.3 },
  ];
  for (const o of cases) {
    const { auditPairs } = await import("../audit/subjects.js");
    const few = o.mechanism === "mahalanobis" || o.mechanism === "vickrey" || o.mechanism === "laplace-rank";
    const r = runAudit(veilSubject(v, o), { samples: few ? 40_000 : N, fitWords: [7, 47], pairs: auditPairs(v, o, [7, 47]) });
    assert.ok(r.passed, `${o.mechanism}: ${JSON.stringify({ fit: r.fit, noise: r.noise, pairs: r.pairs.filter((p) => !p.pass) })}`);
    assert.ok(r.fit.length + r.noise.length > 0, `${o.mechanism}: something was fitted`);
  }
  assert.ok(backendOf(v).name === "wasm");
});

test("a result states its guarantee with the setting's numbers: M5 per unit of d_RM and at most ε/√(1 − λ) per Euclidean unit", async () => {
  const v = await veil("wasm", 12);
  const m5 = v.perturb("w1 w2 w3", { mechanism: "mahalanobis", epsilon: 10 });
  assert.match(m5.privacy.guarantee, /d_RM with epsilon 10; at most 11\.18 per unit of Euclidean distance \(lambda 0\.2\)/);
  const m6 = v.perturb("w1 w2", { mechanism: "vickrey", epsilon: 8, base: "mahalanobis", lambda: 0.5 });
  assert.match(m6.privacy.guarantee, /^M5's \(its base\).*at most 11\.31/);
  const m8 = v.perturb("w1 w2", { mechanism: "custext", epsilon: 2, keep: "stopwords" });
  assert.match(m8.privacy.guarantee, /the output reveals the group; stopwords sent unprotected$/);
});
