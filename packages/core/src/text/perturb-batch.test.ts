// Veil.perturbBatch: many texts, one call to the mechanism, the texts only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil } from "../veil.js";
import { useSeededRandom } from "../testing.js";
import { makeIndex, type Embedding } from "../embeddings/embedding.js";
import { toyEmbedding } from "../test-support/toy.js";
import { BatchTextError, EmptyTextError, InvalidEpsilonError, TextTooLargeError } from "../errors.js";
import { MECHANISMS, type MechanismOptions } from "../mechanisms/options.js";
import { MAX_TEXT_LENGTH } from "./perturb.js";

const base = toyEmbedding(300, 12, 16, 41);
const words = base.words.map((w, i) => (i < 10 ? ["the", "cat", "dog", "sat", "on", "mat", "rug", "ran", "big", "red"][i]! : w));
const e: Embedding = { ...base, words, index: makeIndex(words) };
const texts = ["The cat sat on the mat.", "", "RED dog ran!  w11 w12, Nobody-here w200", "big\trug ", "w21 w22 w23 w24 w25 w26 w27 w28"];

test("perturbBatch gives, under one seed, what perturb() gives for the texts joined into one, for every mechanism", async () => {
  // One call to the mechanism for every word of the batch, in order: the same ids as the joined text's.
  const veil = await createVeil({ pack: e, backend: "wasm" });
  for (const mechanism of MECHANISMS) {
    const o: MechanismOptions = { mechanism, epsilon: mechanism === "gumbel" ? veil.minEpsilon("gumbel") * 1.5 : mechanism === "diffractor" ? 0.5 : 4 };
    useSeededRandom(veil, 17);
    const joined = veil.perturb(texts.join("\n"), o).text.split("\n");
    useSeededRandom(veil, 17);
    assert.deepEqual(veil.perturbBatch(texts, o), joined, mechanism);
  }
  // Not vacuous: M2 at a low epsilon changes words, and the placeholder replaces the unknown one.
  const out = veil.perturbBatch(texts, { mechanism: "exponential", epsilon: 0.5 });
  assert.notEqual(out[4], texts[4]);
  assert.match(out[2]!, /\*\*\*/);
  assert.equal(out[1], "");
});

test("a bad text is a BatchTextError naming its index, and nothing is drawn", async () => {
  const veil = await createVeil({ pack: e, backend: "js" });
  const o: MechanismOptions = { mechanism: "laplace", epsilon: 5 };
  useSeededRandom(veil, 3);
  assert.throws(
    () => veil.perturbBatch(["the cat", "x".repeat(MAX_TEXT_LENGTH + 1)], o),
    (err: unknown) => err instanceof BatchTextError && err.index === 1 && err.cause instanceof TextTooLargeError && !err.message.includes("xxx"),
  );
  assert.throws(
    () => veil.perturbBatch(["the cat", 7 as unknown as string], o),
    (err: unknown) => err instanceof BatchTextError && err.index === 1,
  );
  assert.throws(() => veil.perturbBatch(["the cat"], { mechanism: "laplace", epsilon: Number.NaN }), InvalidEpsilonError);
  // The stream was not touched: the next draw is the seed's first.
  const after = veil.perturbBatch(["the cat"], o);
  useSeededRandom(veil, 3);
  assert.deepEqual(veil.perturbBatch(["the cat"], o), after);
  assert.throws(() => veil.perturb("", o), EmptyTextError, "perturb itself still refuses an empty text");
});

test("texts holding newlines are joined with another separator; when every separator is taken, one text at a time", async () => {
  const veil = await createVeil({ pack: e, backend: "wasm" });
  const o: MechanismOptions = { mechanism: "exponential", epsilon: 4 };
  const withNewlines = ["the cat\nsat on", "the\r\nmat", "", "dog ran"];
  useSeededRandom(veil, 5);
  const joined = veil.perturb(withNewlines.join("\u2028"), o).text.split("\u2028");
  useSeededRandom(veil, 5);
  const batch = veil.perturbBatch(withNewlines, o);
  assert.deepEqual(batch, joined);
  assert.deepEqual(
    batch.map((t) => t.split(/\r?\n/).length),
    [2, 2, 1, 1],
    "every newline passed through where it was",
  );
  const everySeparator = ["the cat\n\u2028\u2029\u000b\u000c\u0085 sat", "dog ran"];
  useSeededRandom(veil, 6);
  const oneByOne = everySeparator.map((t) => veil.perturb(t, o).text);
  useSeededRandom(veil, 6);
  assert.deepEqual(veil.perturbBatch(everySeparator, o), oneByOne);
});

test("a batch longer than MAX_TEXT_LENGTH goes in several joined texts, every text kept in its place", async () => {
  const veil = await createVeil({ pack: e, backend: "wasm" });
  const texts = Array.from({ length: 90_000 }, (_, i) => (i % 1000 === 0 ? "" : `The cat w${20 + (i % 200)} sat, on the mat ${i}`));
  const total = texts.reduce((n, t) => n + t.length + 1, 0);
  assert.ok(total > 2 * MAX_TEXT_LENGTH, `the batch spans ${total} characters`);
  const out = veil.perturbBatch(texts, { mechanism: "exponential", epsilon: 2, oov: "keep" }); // the numbers are not in the pack: kept, they mark each text's place
  assert.equal(out.length, texts.length);
  out.forEach((t, i) => {
    if (texts[i] === "") return assert.equal(t, "");
    assert.ok(t.endsWith(` ${i}`) && t.split(" ").length === texts[i]!.split(" ").length, `text ${i}: ${t}`);
  });
  assert.ok(out.some((t, i) => t !== texts[i]));
});
