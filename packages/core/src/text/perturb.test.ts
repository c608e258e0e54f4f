// Text handling (docs/mechanisms.md, "Text handling") and bad input: typed errors, nothing released.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil, INTERNAL } from "../veil.js";
import { cryptoSource } from "../random/source.js";
import { useSeededRandom } from "../testing.js";
import { makeIndex, type Embedding } from "../embeddings/embedding.js";
import { toyEmbedding } from "../test-support/toy.js";
import { applyCase, casePattern, tokenize } from "./tokenize.js";
import {
  EmptyTextError,
  EpsilonOutOfRangeError,
  InvalidEpsilonError,
  InvalidOptionError,
  MissingPackError,
  RandomSourceError,
  TextTooLargeError,
  UnknownMechanismError,
  UnknownWordError,
} from "../errors.js";
import { MAX_TEXT_LENGTH, type PerturbOptions } from "./perturb.js";
import type { MechanismOptions } from "../mechanisms/options.js";

// A toy embedding whose words are real English words, so texts read naturally.
const base = toyEmbedding(12, 4, 6, 31);
const words = ["the", "cat", "dog", "sat", "on", "mat", "a", "rug", "ran", "to", "big", "red"];
const e: Embedding = { ...base, words, index: makeIndex(words) };

test("tokenizer: word-like segments only; punctuation and spaces pass through", () => {
  const t = tokenize("The cat, sat!  On 3 mats.");
  assert.deepEqual(
    t.filter((x) => x.wordLike).map((x) => x.text),
    ["The", "cat", "sat", "On", "3", "mats"],
  );
  assert.equal(t.map((x) => x.text).join(""), "The cat, sat!  On 3 mats.");
});

test("case patterns are restored", () => {
  assert.equal(casePattern("cat"), "lower");
  assert.equal(casePattern("Cat"), "title");
  assert.equal(casePattern("CAT"), "upper");
  assert.equal(casePattern("I"), "title");
  assert.equal(casePattern("iPhone"), "other");
  assert.equal(casePattern("42"), "other");
  assert.equal(applyCase("dog", "title"), "Dog");
  assert.equal(applyCase("dog", "upper"), "DOG");
  assert.equal(applyCase("dog", "other"), "dog");
});

test("perturb keeps layout, restores case, redacts out-of-vocabulary words by default", async () => {
  const v = await createVeil({ pack: e, backend: "wasm" });
  useSeededRandom(v, 1);
  const r = v.perturb("The CAT sat on Zorblax's mat!\n", { mechanism: "laplace", epsilon: 0.5 });
  assert.match(r.text, /^[A-Z][a-z]+ [A-Z]+ [a-z]+ [a-z]+ \*\*\*'s [a-z]+!\n$|^[A-Z][a-z]* [A-Z]+ [a-z]+ [a-z]+ \*\*\* [a-z]+!\n$/);
  const oov = r.words.filter((w) => !w.inVocabulary);
  assert.ok(oov.length >= 1 && oov.every((w) => w.output === "***" && w.protected));
  assert.equal(r.privacy.wordsPerturbed, r.words.filter((w) => w.inVocabulary).length);
  assert.equal(r.privacy.epsilonTotal, 0.5 * r.privacy.wordsPerturbed);
  assert.equal(r.seeded, true);
  assert.equal(r.backend, "wasm");
  for (const w of r.words.filter((x) => x.inVocabulary)) assert.equal(w.changed, w.output.toLowerCase() !== w.source.toLowerCase(), w.source);
});

test("everything between the words passes through exactly: a leading BOM, unpaired surrogates, emoji, CJK, any length", async () => {
  const v = await createVeil({ pack: e, backend: "wasm" });
  useSeededRandom(v, 3);
  // A long text without surrogates is written into one UTF-16 buffer; a short one or one with them is joined (perturb.ts, spliceWords).
  const plain = ["\uFEFF", " 猫 ", "\r\n\t", " — ", " "];
  const surrogates = ["\uFEFF", " \uD800 ", " \uDC00x ", " 😀 ", " "];
  for (const [between, short] of [
    [plain, true],
    [plain, false],
    [surrogates, true],
    [surrogates, false],
  ] as const) {
    const parts: string[] = [];
    for (let i = 0; i < (short ? 8 : 3000); i++) parts.push(between[i % between.length]!, words[i % words.length]!);
    const text = parts.join("") + "!";
    const r = v.perturb(text, { mechanism: "laplace", epsilon: 1, oov: "keep" });
    // Put each source word back where its output is: the text must come back exactly.
    let back = "",
      at = 0;
    for (const w of r.words) {
      const i = r.text.indexOf(w.output, at);
      back += r.text.slice(at, i) + w.source;
      at = i + w.output.length;
    }
    back += r.text.slice(at);
    assert.equal(back, text, `${short ? "short" : "long"}, ${between === plain ? "no surrogates" : "surrogates"}`);
    assert.ok(r.text.startsWith("\uFEFF"));
  }
});

test("oov: keep lets unknown words through and marks them unprotected", async () => {
  const v = await createVeil({ pack: e, backend: "js" });
  const r = v.perturb("Alice sat", { mechanism: "exponential", epsilon: 1000, oov: "keep" });
  assert.equal(r.text, "Alice sat");
  assert.deepEqual(
    r.words.map((w) => [w.source, w.inVocabulary, w.protected]),
    [
      ["Alice", false, false],
      ["sat", true, true],
    ],
  );
  // An unknown word is changed when redacted, not when kept, nor when the placeholder is the word itself (both backends: the module writes these).
  for (const backend of ["js", "wasm"] as const) {
    const b = await createVeil({ pack: e, backend });
    const changed = (o: Partial<PerturbOptions>) => b.perturb("Alice sat", { mechanism: "exponential", epsilon: 1000, ...o }).words[0]!.changed;
    assert.deepEqual([changed({ oov: "keep" }), changed({}), changed({ placeholder: "Alice" })], [false, true, false], backend);
  }
});

test("bad input gets typed errors", async () => {
  const v = await createVeil({ pack: e, backend: "wasm" });
  const ok: MechanismOptions = { mechanism: "tem", epsilon: 1 };
  assert.throws(() => v.perturb("", ok), EmptyTextError);
  assert.throws(() => v.perturb("a".repeat(MAX_TEXT_LENGTH + 1), ok), TextTooLargeError);
  for (const epsilon of [NaN, Infinity, -Infinity, 0, -1, "1" as unknown as number, undefined as unknown as number])
    assert.throws(() => v.perturb("the cat", { mechanism: "tem", epsilon }), InvalidEpsilonError, String(epsilon));
  assert.throws(() => v.perturb("the cat", { mechanism: "nope" as never, epsilon: 1 }), UnknownMechanismError);
  assert.throws(
    () => v.perturb("the cat", { mechanism: "gumbel", epsilon: 1 }),
    (err: unknown) => err instanceof EpsilonOutOfRangeError && err.minEpsilon === v.minEpsilon("gumbel"),
  );
  assert.throws(() => v.perturb("the cat", { ...ok, oov: "drop" as never }), InvalidOptionError);
  assert.throws(() => v.perturb("the cat", { mechanism: "tem", epsilon: 1, beta: 2 }), InvalidOptionError);
  assert.throws(() => v.perturb("the cat", { mechanism: "gumbel", epsilon: 1, scale: -1 }), InvalidOptionError);
  assert.throws(() => v.stats("zorblax", ok), UnknownWordError);
  await assert.rejects(createVeil({ pack: undefined as never }), MissingPackError);
  await assert.rejects(createVeil({ pack: e, backend: "cuda" as never }), InvalidOptionError);
  // Error messages never echo the user's text.
  try {
    v.perturb("secret-diagnosis ".repeat(70_000), ok);
  } catch (err) {
    assert.ok(!(err as Error).message.includes("secret"));
  }
});

test("a failing random source fails the call and releases nothing", async () => {
  for (const backend of ["js", "wasm"] as const) {
    const v = await createVeil({ pack: e, backend });
    v[INTERNAL]().setRandomSource({
      seeded: false,
      fill() {
        throw new RandomSourceError("test: entropy unavailable");
      },
    });
    for (const m of ["laplace", "exponential", "tem"] as const) assert.throws(() => v.perturb("the cat sat", { mechanism: m, epsilon: 1 }), RandomSourceError);
    const saved = globalThis.crypto;
    Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true });
    try {
      v[INTERNAL]().setRandomSource(cryptoSource());
      assert.throws(() => v.perturb("the cat sat", { mechanism: "tem", epsilon: 1 }), RandomSourceError);
    } finally {
      Object.defineProperty(globalThis, "crypto", { value: saved, configurable: true });
    }
  }
});

test("stats: N_w and S_w by sampling agree with the exact law", async () => {
  const v = await createVeil({ pack: e, backend: "wasm" });
  useSeededRandom(v, 3);
  const s = v.stats("cat", { mechanism: "exponential", epsilon: 2 }, { samples: 20_000 });
  assert.ok(s.exact);
  assert.ok(Math.abs(s.sampled.Nw - s.exact.Nw) < 5 * Math.sqrt((s.exact.Nw * (1 - s.exact.Nw)) / 20_000));
  assert.ok(s.sampled.Sw <= 12 && Math.abs(s.sampled.Sw - s.exact.Sw) <= 2);
  const m1 = v.stats("cat", { mechanism: "laplace", epsilon: 2 }, { samples: 500 });
  assert.equal(m1.exact, undefined, "M1 has no exact law");
  assert.ok(m1.sampled.Nw > 0 && m1.sampled.Nw < 1);
});

test("long texts are tokenized in chunks with exactly the tokens of one pass", () => {
  const piece = "Hello, world!  Ünïcödé words\u0301 and 3.14 and e-mail me at x@y.com; don't stop.\n";
  const text = piece.repeat(400);
  const seg = new Intl.Segmenter("en", { granularity: "word" });
  const ref = [...seg.segment(text)].map((s) => [s.segment, s.index, s.isWordLike === true]);
  assert.deepEqual(
    tokenize(text).map((t) => [t.text, t.start, t.wordLike]),
    ref,
  );
});

test('keep: "stopwords" passes the list\'s words unchanged and unprotected (even one the pack lacks), privatizes the rest', async () => {
  const { STOPWORDS } = await import("./stopwords.js");
  assert.equal(STOPWORDS.size, 108, "npm stopword 3.1.5's English list");
  assert.ok(STOPWORDS.has("a") && STOPWORDS.has("i") && STOPWORDS.has("the") && !STOPWORDS.has("not"));
  // "I" is not in this toy pack: without the option it is redacted like any unknown word.
  const veil = await createVeil({ pack: e, backend: "js" });
  useSeededRandom(veil, 5);
  const text = "The cat sat on a mat and I ran to the big red dog.";
  const o: MechanismOptions = { mechanism: "exponential", epsilon: 0.01, keep: "stopwords" };
  const r = veil.perturb(text, o);
  const by = (s: string) => r.words.filter((x) => x.source === s);
  for (const s of ["The", "on", "a", "and", "I", "to", "the"]) {
    for (const w of by(s)) {
      assert.equal(w.output, s, `${s} passes as it was`);
      assert.equal(w.protected, false);
      assert.equal(w.unprotectedBecause, "stopword");
    }
  }
  assert.equal(by("I")[0]!.inVocabulary, false);
  assert.equal(by("on")[0]!.inVocabulary, true);
  for (const s of ["cat", "sat", "mat", "ran", "big", "red", "dog"]) assert.equal(by(s)[0]!.protected, true, s);
  assert.ok(
    ["cat", "sat", "mat", "ran", "big", "red", "dog"].some((s) => by(s)[0]!.changed),
    "at epsilon 0.01 something changes",
  );
  assert.equal(r.privacy.wordsPerturbed, 7, "kept stopwords spend no epsilon");
  // Without the option, the same text's stopwords are privatized like any word.
  const plain = veil.perturb(text, { mechanism: "exponential", epsilon: 0.01 });
  assert.ok(plain.words.every((w) => w.protected));
  assert.equal(plain.words.find((w) => w.source === "I")!.output, "***");
});

test("the stopword option composes with every mechanism: privatizeIds keeps the listed ids and the rest draw as without them", async () => {
  const veil = await createVeil({ pack: e, backend: "wasm" });
  const ids = Int32Array.from([0, 1, 4, 2, 9, 3], (x) => x); // the cat on dog to sat
  const rest = Int32Array.of(1, 2, 3);
  for (const mechanism of ["laplace", "exponential", "santext", "custext", "diffractor", "laplace-rank", "vickrey", "mahalanobis", "tem"] as const) {
    const o: MechanismOptions = { mechanism, epsilon: mechanism === "diffractor" ? 0.3 : 2, ...(mechanism === "custext" && { groupSize: 4 }) };
    useSeededRandom(veil, 17);
    const kept = veil.privatizeIds(ids, { ...o, keep: "stopwords" });
    useSeededRandom(veil, 17);
    const alone = veil.privatizeIds(rest, o);
    assert.deepEqual([kept[0], kept[2], kept[4]], [0, 4, 9], `${mechanism}: stopwords unchanged`);
    assert.deepEqual([kept[1], kept[3], kept[5]], [...alone], `${mechanism}: the rest as if alone`);
  }
});
