// A dataset encoded against an embedding's vocabulary, so a whole split is
// privatized with one `privatizeIds` call per (mechanism, setting, seed) instead
// of one `perturb()` per sentence: the same mechanisms and the same law per word,
// without re-tokenizing the text at every point of the grid.
//
// Out-of-vocabulary words are dropped from privatized documents: that is what the
// classifier sees after `perturb()` with the default placeholder ("***" has no
// word-like segment). The clean baseline keeps them; the "vocabulary only"
// reference drops them without privatizing, to show what that alone costs.
import type { Veil, MechanismOptions } from "@veil/core";
import { useSeededRandom } from "@veil/core/testing";
import { words, type Document } from "./classifier.js";
import type { Example } from "./datasets.js";

export interface EncodedSplit {
  /** Every document's in-vocabulary word ids, concatenated in document order. */
  ids: Int32Array;
  /** Document i's ids are ids[offsets[i] .. offsets[i + 1]). */
  offsets: Int32Array;
  /** The original words of each document (out-of-vocabulary ones included): the clean baseline. */
  clean: string[][];
  labels: string[];
  /** Word tokens, and how many of them are out of the vocabulary. */
  tokens: number;
  oov: number;
}

export function encodeSplit(veil: Veil, examples: readonly Example[]): EncodedSplit {
  const ids: number[] = [];
  const offsets = new Int32Array(examples.length + 1);
  const clean: string[][] = [];
  let tokens = 0,
    oov = 0;
  examples.forEach((e, i) => {
    const ws = words(e.text);
    clean.push(ws);
    for (const w of ws) {
      const id = veil.wordId(w);
      tokens++;
      if (id === undefined) oov++;
      else ids.push(id);
    }
    offsets[i + 1] = ids.length;
  });
  return { ids: Int32Array.from(ids), offsets, clean, labels: examples.map((e) => e.label), tokens, oov };
}

/** Documents made of the given ids (a privatized copy of `split.ids`, or the ids themselves). */
export function documentsOf(veil: Veil, split: EncodedSplit, ids: Int32Array = split.ids): Document[] {
  const vocabulary = veil.embedding.words;
  const docs: Document[] = [];
  for (let i = 0; i + 1 < split.offsets.length; i++) {
    const doc: string[] = [];
    for (let k = split.offsets[i]!; k < split.offsets[i + 1]!; k++) doc.push(vocabulary[ids[k]!]!);
    docs.push(doc);
  }
  return docs;
}

export interface Privatized {
  docs: Document[];
  /** Fraction of the split's in-vocabulary tokens that came back unchanged (token-weighted N_w). */
  keptTokens: number;
}

/**
 * Privatizes a split word by word on the seeded stream `seed` (a benchmark is
 * reproducible; real data never goes through a seeded stream).
 */
export function privatizeSplit(veil: Veil, split: EncodedSplit, options: MechanismOptions, seed: number): Privatized {
  useSeededRandom(veil, seed);
  const out = split.ids.length > 0 ? veil.privatizeIds(split.ids, options) : new Int32Array(0);
  let kept = 0;
  for (let i = 0; i < out.length; i++) if (out[i] === split.ids[i]) kept++;
  return { docs: documentsOf(veil, split, out), keptTokens: out.length ? kept / out.length : 1 };
}
