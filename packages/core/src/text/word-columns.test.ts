// The columns perturb() makes from what it found are the columns of its word
// objects, and the word objects made back from them are its words: for texts
// with out-of-vocabulary words (kept, redacted), kept stopwords, SanText+'s
// unprotected words, case, emoji and unpaired surrogates, short and long (the
// long ones' words are made lazily, the short ones' eagerly).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil } from "../veil.js";
import { useSeededRandom } from "../testing.js";
import { makeIndex, type Embedding } from "../embeddings/embedding.js";
import { toyEmbedding } from "../test-support/toy.js";
import { wordColumns, wordsFromColumns } from "./word-columns.js";
import { everyWordKind, EVERY_REASON, WORD_KINDS_VOCABULARY } from "../testing-word-kinds.js";

test("wordColumns (perturb()'s own) agree with the word objects, and wordsFromColumns gives them back", async () => {
  const base = toyEmbedding(60, 4, 8, 51);
  const words = [...WORD_KINDS_VOCABULARY, ...base.words.slice(WORD_KINDS_VOCABULARY.length)];
  const e: Embedding = { ...base, words, index: makeIndex(words) };
  const { texts, settings } = everyWordKind(words);
  for (const backend of ["wasm", "js"] as const) {
    const veil = await createVeil({ pack: e, backend });
    useSeededRandom(veil, 5);
    const reasons = new Set<string | undefined>();
    for (const text of texts)
      for (const o of settings) {
        const res = veil.perturb(text, o);
        const own = wordColumns(res);
        assert.deepEqual(own, wordColumns({ ...res, words: res.words }), `${backend}: perturb()'s columns are those of its words`);
        assert.deepEqual(wordsFromColumns(text, res, own), res.words, `${backend}: the words again`);
        for (const w of res.words) reasons.add(w.unprotectedBecause);
      }
    assert.deepEqual([...reasons].sort(), EVERY_REASON, "every kind of word was met");
    veil.dispose();
  }
});
