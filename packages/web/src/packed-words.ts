// A perturb() result crosses the worker boundary with its words as five typed
// columns, transferred, instead of one object per word: structured clone of a
// 100,000-word result's objects (two strings each) cost far more than the
// perturbation itself. The page builds the word objects from the columns, the
// input text and the output text when `words` is first read, so a caller that
// only sends `text` never pays for them.
import type { PerturbResult, WordResult } from "@veil/core";

/** The words of a result, one entry per word-like segment in order. */
export interface PackedWords {
  /** Where the word starts in the input, and its length there (UTF-16). */
  starts: Int32Array;
  lengths: Int32Array;
  /** Where its output starts in the output text, and the output's length. */
  outputStarts: Int32Array;
  outputLengths: Int32Array;
  /** IN_VOCABULARY | PROTECTED | CHANGED, and the reason code (REASONS) shifted by 3. */
  flags: Uint8Array;
}

/** A result without its word objects, and its words packed. */
export interface PackedResult {
  result: Omit<PerturbResult, "words">;
  words: PackedWords;
}

const IN_VOCABULARY = 1;
const PROTECTED = 2;
const CHANGED = 4;
/** `unprotectedBecause`, coded from 1 (0: absent). */
const REASONS = ["out-of-vocabulary", "stopword", "not-sensitive"] as const;

/** The result packed, and the buffers to transfer with it (worker side). */
export function packResult(res: PerturbResult): { packed: PackedResult; transfer: ArrayBuffer[] } {
  const { words: list, ...result } = res;
  const n = list.length;
  const words: PackedWords = {
    starts: new Int32Array(n),
    lengths: new Int32Array(n),
    outputStarts: new Int32Array(n),
    outputLengths: new Int32Array(n),
    flags: new Uint8Array(n),
  };
  let shift = 0; // how far the output has moved against the input so far
  list.forEach((w, i) => {
    words.starts[i] = w.start;
    words.lengths[i] = w.source.length;
    words.outputStarts[i] = w.start + shift;
    words.outputLengths[i] = w.output.length;
    shift += w.output.length - w.source.length;
    const reason = w.unprotectedBecause ? REASONS.indexOf(w.unprotectedBecause) + 1 : 0;
    words.flags[i] = (w.inVocabulary ? IN_VOCABULARY : 0) | (w.protected ? PROTECTED : 0) | (w.changed ? CHANGED : 0) | (reason << 3);
  });
  const transfer = [words.starts, words.lengths, words.outputStarts, words.outputLengths, words.flags].map((a) => a.buffer as ArrayBuffer);
  return { packed: { result, words }, transfer };
}

/** The result again (page side), its `words` made from the columns and the two texts when first read. */
export function unpackResult(input: string, { result, words }: PackedResult): PerturbResult {
  let list: WordResult[] | null = null;
  return Object.defineProperty({ ...result, words: [] as WordResult[] }, "words", {
    enumerable: true,
    configurable: true,
    get: () => (list ??= wordsOf(input, result, words)),
  });
}

function wordsOf(input: string, result: Omit<PerturbResult, "words">, w: PackedWords): WordResult[] {
  const { mechanism, epsilon } = result;
  return Array.from(w.flags, (f, i) => {
    const start = w.starts[i]!;
    const word: WordResult = {
      source: input.slice(start, start + w.lengths[i]!),
      output: result.text.slice(w.outputStarts[i]!, w.outputStarts[i]! + w.outputLengths[i]!),
      start,
      inVocabulary: (f & IN_VOCABULARY) !== 0,
      protected: (f & PROTECTED) !== 0,
      changed: (f & CHANGED) !== 0,
      mechanism,
      epsilon,
    };
    if (f >> 3) word.unprotectedBecause = REASONS[(f >> 3) - 1];
    return word;
  });
}
