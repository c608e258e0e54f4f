// A result packed in the worker and unpacked in the page is the result: every
// field, and every word (source, output, offset, flags, reason), for texts with
// out-of-vocabulary words (kept and redacted), kept stopwords, SanText+'s
// unprotected words, case, emoji and unpaired surrogates; the words are made
// only when read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil, writePack } from "@veil/core";
import { useSeededRandom, everyWordKind, EVERY_REASON, WORD_KINDS_VOCABULARY } from "@veil/core/testing";
import { packResult, unpackResult } from "./packed-words.js";

const vocab = [...WORD_KINDS_VOCABULARY, ...Array.from({ length: 40 }, (_, i) => `w${i}`)];

test("unpack(pack(result)) is the result, word for word, for every kind of word", async () => {
  const vectors = Float32Array.from({ length: vocab.length * 4 }, (_, i) => Math.sin(i * 1.7) * 2);
  const veil = await createVeil({
    pack: await writePack({ words: vocab, d: 4, vectors, neighbours: null, K: 0, dMin: 0, dMax: 0 }),
    backend: "wasm",
    neighbours: 8,
  });
  useSeededRandom(veil, 9);
  const { texts, settings } = everyWordKind(vocab);
  const reasons = new Set<string | undefined>();
  for (const text of texts)
    for (const o of settings) {
      const res = veil.perturb(text, o);
      const { packed, transfer } = packResult(res);
      assert.equal(transfer.length, 5);
      const back = unpackResult(text, structuredClone(packed, { transfer }));
      assert.equal(typeof Object.getOwnPropertyDescriptor(back, "words")!.get, "function", "the words are made when read");
      assert.deepEqual({ ...back, words: back.words }, { ...res, words: res.words });
      for (const w of res.words) reasons.add(w.unprotectedBecause);
    }
  assert.deepEqual([...reasons].sort(), EVERY_REASON, "every kind of word was met");
  veil.dispose();
});
