// A long text split between workers: the parts are cut where the tokenizer
// would cut, so perturbing the parts and joining them gives the same words, at
// the same offsets, with the privacy spent added up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil, writePack, tokenize } from "@veil/core";
import { joinResults, MIN_PART, splitText } from "./split-text.js";

const words = ["the", "cat", "sat", "on", "mat", "dog", "ran", "far", "away", "home"];
const longText = (n: number) =>
  Array.from({ length: n }, (_, i) => `${words[i % 10]}${i % 17 === 0 ? ",\n" : i % 23 === 0 ? ". " : " "}${i % 31 === 0 ? "Zorb " : ""}`).join("");

test("parts join back to the text, cut only at safe boundaries, each at least MIN_PART but the last", () => {
  const text = longText(6000);
  for (const n of [2, 3, 4, 16]) {
    const parts = splitText(text, n);
    assert.ok(parts.length >= 2 && parts.length <= n, `${n}: ${parts.length} parts`);
    assert.equal(parts.map((p) => p.text).join(""), text);
    for (const [i, p] of parts.entries()) {
      assert.equal(text.slice(p.offset, p.offset + p.text.length), p.text);
      if (i > 0) assert.match(text.slice(p.offset - 1, p.offset + 1), /^[ \n][A-Za-z0-9]$/, "cut after a space or newline, before a letter or digit");
      if (i < parts.length - 1) assert.ok(p.text.length >= MIN_PART);
    }
  }
  assert.equal(splitText("a short text", 4).length, 1, "a short text stays whole");
});

test("perturbing the parts and joining them gives the whole text's words, offsets and privacy", async () => {
  const vocab = [...words, ...Array.from({ length: 40 }, (_, i) => `w${i}`)];
  const vectors = Float32Array.from({ length: vocab.length * 4 }, (_, i) => Math.sin(i * 1.7) * 2);
  const veil = await createVeil({
    pack: await writePack({ words: vocab, d: 4, vectors, neighbours: null, K: 0, dMin: 0, dMax: 0 }),
    backend: "js",
    neighbours: 8,
  });
  const text = longText(3000);
  const o = { mechanism: "exponential" as const, epsilon: 4 };
  const parts = splitText(text, 3);
  const joined = joinResults(
    parts,
    parts.map((p) => veil.perturb(p.text, o)),
  );
  const whole = veil.perturb(text, o);
  assert.deepEqual(
    joined.words.map((w) => [w.source, w.start, w.inVocabulary]),
    whole.words.map((w) => [w.source, w.start, w.inVocabulary]),
  );
  assert.equal(joined.privacy.wordsPerturbed, whole.privacy.wordsPerturbed);
  assert.equal(joined.privacy.epsilonTotal, whole.privacy.epsilonTotal);
  // The joined text is the input with each word replaced by its output, in order: nothing else changed.
  let k = 0;
  const rebuilt = tokenize(text)
    .map((t) => (t.wordLike ? joined.words[k++]!.output : t.text))
    .join("");
  assert.equal(joined.text, rebuilt);
});
