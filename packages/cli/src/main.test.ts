// The CLI end to end: build a pack from a GloVe text file, then perturb, stats,
// info and bad flags, as a user runs them.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), "main.js");
const dir = mkdtempSync(path.join(tmpdir(), "veil-cli-"));
const glove = path.join(dir, "vectors.txt");
const pack = path.join(dir, "small.veilpack");
const WORDS = ["the", "cat", "dog", "sat", "on", "mat", "a", "rug", "ran", "to", "big", "red", "blue", "green", "house", "tree", ",", "n't", "Cat"];

function veil(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [main, ...args], {
    input: input ?? "",
    encoding: "utf8",
    env: { ...process.env, VEIL_PACK: path.join(dir, "missing.veilpack") },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(() => {
  // word2vec-style header line, then GloVe lines; deterministic vectors.
  const lines = [
    `${WORDS.length} 5`,
    ...WORDS.map((w, i) => `${w} ${Array.from({ length: 5 }, (_, k) => Math.sin(i * 1.7 + k * 0.9 + i * k * 0.13).toFixed(5)).join(" ")}`),
  ];
  writeFileSync(glove, lines.join("\n") + "\n");
});

test("veil pack builds a pack from a GloVe/word2vec text file, skipping non-words", () => {
  const r = veil(["pack", "--from", "glove", "--input", glove, "--words", "100", "--k", "6", "--out", pack, "--json"]);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  assert.equal(report.n, 17, "',' and the upper-case duplicate 'Cat' are skipped");
  assert.equal(report.K, 6);
  assert.ok(report.dMin > 0 && report.dMax >= report.dMin);
  assert.match(r.err, /neighbour table/);
  assert.ok(existsSync(pack));
});

test("veil info prints the header figures", () => {
  const r = veil(["info", "--pack", pack]);
  assert.equal(r.code, 0, r.err);
  const info = JSON.parse(r.out);
  assert.equal(info.n, 17);
  assert.equal(info.d, 5);
  assert.ok(info.gumbelMinEpsilon > 0);
  assert.ok(
    info.missingCommonWords.words.includes("be") && !info.missingCommonWords.words.includes("the"),
    "common words the pack lacks, from the public list",
  );
  assert.match(info.missingCommonWords.source, /most common English words/);
});

test("veil pack --vectors int8|f16 stores quantized vectors and computes the table on them; --k 0 writes no table", () => {
  const plain = JSON.parse(veil(["info", "--pack", pack]).out);
  for (const type of ["int8", "f16"]) {
    const out = path.join(dir, `small-${type}.veilpack`);
    const r = veil(["pack", "--from", "glove", "--input", glove, "--words", "100", "--k", "6", "--vectors", type, "--out", out, "--json"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).vectors, type);
    const info = JSON.parse(veil(["info", "--pack", out]).out);
    assert.deepEqual(info.stored, { vectorType: type, idBytes: 2, formatVersion: 3, tableCoding: "sets" });
    assert.equal(info.bytes.vectors, 17 * 5 * (type === "int8" ? 1 : 2) + (type === "int8" ? 5 * 4 : 0));
    assert.ok(info.bytes.table > 0 && info.bytes.table < 17 * 6 * 2, `the table as sets: ${info.bytes.table} bytes, under the ids' ${17 * 6 * 2}`);
    assert.match(info.quantization, /computed on them/);
    assert.notEqual(info.dMin, plain.dMin, `${type}: d_min comes from the stored values, not the source's`);
    assert.ok(Math.abs(info.dMin - plain.dMin) / plain.dMin < 0.05, `${type}: and is close to it`);
  }
  const none = path.join(dir, "small-k0.veilpack");
  const r = veil(["pack", "--from", "glove", "--input", glove, "--words", "100", "--k", "0", "--out", none, "--json"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).K, 0);
  assert.match(r.err, /no table \(built at load\)/);
  assert.equal(JSON.parse(veil(["info", "--pack", none]).out).n, 17, "a table-less pack loads (its table built at load)");
  assert.equal(veil(["pack", "--from", "glove", "--input", glove, "--vectors", "int4", "--out", none]).code, 2);
});

test("veil perturb: text on stdin, text or JSON on stdout, seeded runs repeat", () => {
  const text = "The big cat sat on Bob's mat.\n";
  const a = veil(["perturb", "--pack", pack, "--mechanism", "exponential", "--epsilon", "3", "--seed", "7"], text);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /^[A-Z][a-z]+ [a-z]+ [a-z]+ [a-z]+ [a-z]+ \*\*\* [a-z]+\.\n$/, "Bob's is one out-of-vocabulary word");
  const b = veil(["perturb", "--pack", pack, "--mechanism", "exponential", "--epsilon", "3", "--seed", "7"], text);
  assert.equal(b.out, a.out);
  const j = veil(["perturb", "--pack", pack, "-m", "laplace", "-e", "2", "--json"], text);
  assert.equal(j.code, 0, j.err);
  const res = JSON.parse(j.out);
  assert.equal(res.mechanism, "laplace");
  assert.equal(res.words.length, 7);
  assert.equal(res.seeded, false);
  for (const m of ["tem", "gumbel"]) {
    const eps = m === "gumbel" ? String(JSON.parse(veil(["info", "--pack", pack]).out).gumbelMinEpsilon * 2) : "2";
    const r = veil(["perturb", "--pack", pack, "-m", m, "-e", eps], text);
    assert.equal(r.code, 0, r.err);
  }
});

test("veil stats: N_w, S_w and the most likely outputs, sampled and exact", () => {
  const r = veil(["stats", "--pack", pack, "--mechanism", "tem", "--epsilon", "3", "--samples", "2000", "--top", "3", "--seed", "5", "cat", "Dog"]);
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out);
  assert.equal(s.length, 2);
  assert.equal(s[1].word, "dog");
  assert.equal(s[0].exact.top.length, 3);
  assert.ok(s[0].sampled.Nw >= 0 && s[0].sampled.Nw <= 1 && s[0].sampled.Sw >= 1);
  const top = s[0].exact.top as { word: string; p: number }[];
  assert.ok(
    top.every((t, i) => i === 0 || top[i - 1]!.p >= t.p),
    "the exact top outputs come likeliest first",
  );
  const self = top.find((t) => t.word === "cat");
  if (self) assert.equal(self.p, s[0].exact.Nw, "N_w is the probability of outputting the word itself");
  // The sampled N_w (seeded) agrees with the exact one: within 4.5 standard errors of 2,000 draws.
  const se = Math.sqrt((s[0].exact.Nw * (1 - s[0].exact.Nw)) / 2000);
  assert.ok(Math.abs(s[0].sampled.Nw - s[0].exact.Nw) <= 4.5 * se + 1e-12, JSON.stringify({ sampled: s[0].sampled.Nw, exact: s[0].exact.Nw }));
});

test("bad flags and bad values: exit 2 with usage; runtime errors: exit 1 with a typed message", () => {
  assert.equal(veil([]).code, 2);
  assert.equal(veil(["--help"]).code, 0);
  assert.equal(veil(["frobnicate"]).code, 2);
  assert.equal(veil(["perturb", "--pack", pack, "--mechanism", "tem"], "x").code, 2);
  assert.equal(veil(["perturb", "--pack", pack, "--mechanism", "tem", "--epsilon", "abc"], "x").code, 2);
  assert.equal(veil(["perturb", "--pack", pack, "--mechanism", "tem", "--epsilon", "1", "--bogus"], "x").code, 2);
  assert.equal(veil(["stats", "--pack", pack, "--mechanism", "tem", "--epsilon", "1"]).code, 2);
  assert.equal(veil(["stats", "--pack", pack, "--mechanism", "tem", "--epsilon", "1", "--samples", "-5", "cat"]).code, 2);
  const unk = veil(["perturb", "--pack", pack, "--mechanism", "magic", "--epsilon", "1"], "the cat");
  assert.equal(unk.code, 1);
  assert.match(unk.err, /UnknownMechanismError/);
  const low = veil(["perturb", "--pack", pack, "--mechanism", "gumbel", "--epsilon", "1"], "the cat");
  assert.equal(low.code, 1);
  assert.match(low.err, /EpsilonOutOfRangeError: .*needs epsilon > \d/);
  const neg = veil(["perturb", "--pack", pack, "--mechanism", "tem", "--epsilon=-1"], "the cat");
  assert.match(neg.err, /InvalidEpsilonError/);
  const empty = veil(["perturb", "--pack", pack, "--mechanism", "tem", "--epsilon", "1"], "");
  assert.match(empty.err, /EmptyTextError/);
  const missing = veil(["perturb", "--mechanism", "tem", "--epsilon", "1"], "the cat");
  assert.equal(missing.code, 1);
  assert.match(missing.err, /No embedding pack at/);
  const corrupt = path.join(dir, "corrupt.veilpack");
  writeFileSync(corrupt, "VEILPACK" + "\0".repeat(200));
  const c = veil(["perturb", "--pack", corrupt, "--mechanism", "tem", "--epsilon", "1"], "the cat");
  assert.equal(c.code, 1);
  assert.match(c.err, /EmbeddingFormatError/);
  const word = veil(["stats", "--pack", pack, "--mechanism", "tem", "--epsilon", "1", "zorblax"]);
  assert.equal(word.code, 1);
  assert.match(word.err, /UnknownWordError/);
});

test("veil attack: the attacker's success as JSON and as a table, with a corpus prior from a file", () => {
  if (!existsSync(pack)) assert.fail("the pack test must run first");
  const corpus = path.join(dir, "corpus.txt");
  writeFileSync(corpus, "the cat sat on the mat. The dog ran to the big red house.\n");
  const r = veil(["attack", "--pack", pack, "-m", "exponential", "-e", "3", "--prior", corpus, "--json"]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.exact, true);
  assert.equal(j.inputs, 11, "the eleven distinct corpus words, all in the vocabulary");
  assert.ok(j.baseline.R > 0.2 && j.baseline.R < 0.3, "'the' is 4 of the corpus's 14 tokens");
  assert.ok(j.R >= j.baseline.R && j.R <= 1 && j.Rk >= j.R, JSON.stringify(j));
  const t = veil(["attack", "--pack", pack, "-m", "laplace", "-e", "3", "--words", "5", "--samples", "20"]);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /recovers the original word +\d+\.\d%/);
  assert.match(t.out, /sampled, 20 draws per word/);
  assert.equal(veil(["attack", "--pack", pack, "-m", "exponential", "-e", "3", "--words", "0"]).code, 2);
});

test("veil perturb runs the peers' mechanisms with their flags, keeps stopwords when asked, and refuses bad values", () => {
  const text = "the cat sat on the mat";
  for (const args of [
    ["--mechanism", "mahalanobis", "--epsilon", "5", "--lambda", "0.5"],
    ["--mechanism", "vickrey", "--epsilon", "5", "--t", "0.5", "--base", "mahalanobis"],
    ["--mechanism", "santext", "--epsilon", "3", "--s", "0.5", "--p", "0.3"],
    ["--mechanism", "custext", "--epsilon", "2", "--group-size", "4"],
    ["--mechanism", "diffractor", "--epsilon", "0.5", "--variant", "list-tem", "--radius", "3"],
    ["--mechanism", "laplace-rank", "--epsilon", "5", "--c", "0.2"],
  ]) {
    const r = veil(["perturb", "--pack", pack, "--json", "--seed", "3", ...args], text);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.err}`);
    const out = JSON.parse(r.out);
    assert.equal(out.mechanism, args[1]);
    assert.equal(out.words.length, 6);
  }
  const kept = JSON.parse(veil(["perturb", "--pack", pack, "--json", "--mechanism", "custext", "--epsilon", "0.1", "--keep", "stopwords"], text).out);
  const the = kept.words.filter((w: { source: string }) => w.source === "the");
  assert.ok(
    the.length === 2 &&
      the.every(
        (w: { output: string; protected: boolean; unprotectedBecause: string }) => w.output === "the" && !w.protected && w.unprotectedBecause === "stopword",
      ),
  );
  assert.equal(kept.privacy.wordsPerturbed, 3, "CusText+: the stopwords (the, on, the) spend nothing");
  for (const [flag, value, why] of [
    ["--t", "1.5", /t must be in \[0, 1\]/],
    ["--variant", "spiral", /variant must be/],
    ["--keep", "names", /keep must be "stopwords"/],
    ["--group-size", "1", /groupSize must be an integer/],
  ] as const) {
    const r = veil(
      ["perturb", "--pack", pack, "--mechanism", flag === "--t" ? "vickrey" : flag === "--variant" ? "diffractor" : "custext", "--epsilon", "2", flag, value],
      text,
    );
    assert.equal(r.code, 1, `${flag} ${value}`);
    assert.match(r.err, why);
  }
});
