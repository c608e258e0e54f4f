// A result's words as five typed columns instead of one object per word: what
// @veil/web sends across its worker boundary (structured clone of 100,000 word
// objects cost several times the perturbation). perturb() attaches a way to make
// the columns straight from what it found, so a long text's word objects are
// never made on the sending side; the receiving side makes them from the columns
// and the two texts, the same objects `words` gives (word-columns.test.ts).
import type { PerturbResult, WordResult } from "./perturb.js";

/** The words of a result, one entry per word-like segment in order. */
export interface WordColumns {
  /** Where the word starts in the input, and its length there (UTF-16). */
  starts: Int32Array;
  lengths: Int32Array;
  /** Where its output starts in the output text, and the output's length. */
  outputStarts: Int32Array;
  outputLengths: Int32Array;
  /** IN_VOCABULARY | PROTECTED | CHANGED, and 1 + the index of `unprotectedBecause` in REASONS shifted by 3 (0: none). */
  flags: Uint8Array;
}

const IN_VOCABULARY = 1;
const PROTECTED = 2;
const CHANGED = 4;
const REASONS = ["out-of-vocabulary", "stopword", "not-sensitive"] as const;

/** Where perturb.ts keeps a result's own column maker (not enumerable: never cloned, compared or serialised). */
const COLUMNS = Symbol("veil.wordColumns");

/** Gives `result` a column maker that reads what perturb() found rather than the word objects. */
export function attachColumns(result: PerturbResult, make: () => WordColumns): void {
  Object.defineProperty(result, COLUMNS, { value: make, enumerable: false });
}

/** The result's words as columns: from perturb()'s own data where it has it, else from `words`. */
export function wordColumns(result: PerturbResult): WordColumns {
  const own = (result as unknown as { [COLUMNS]?: () => WordColumns })[COLUMNS];
  return own ? own() : columnsFromWords(result.words);
}

/** What a word is apart from its text: what `fill` writes for each word (one object, reused). */
export interface WordFacts {
  start: number;
  length: number;
  outputLength: number;
  inVocabulary: boolean;
  protected: boolean;
  changed: boolean;
  reason: WordResult["unprotectedBecause"] | null;
}

/** A fresh WordFacts to fill. */
export function wordFacts(): WordFacts {
  return { start: 0, length: 0, outputLength: 0, inVocabulary: false, protected: false, changed: false, reason: null };
}

/** Columns of `n` words, each described by `fill(i, facts)` in order; the output offsets are accumulated here. */
export function makeColumns(n: number, fill: (i: number, facts: WordFacts) => void): WordColumns {
  const c: WordColumns = {
    starts: new Int32Array(n),
    lengths: new Int32Array(n),
    outputStarts: new Int32Array(n),
    outputLengths: new Int32Array(n),
    flags: new Uint8Array(n),
  };
  const w = wordFacts();
  let shift = 0; // how far the output has moved against the input so far
  for (let i = 0; i < n; i++) {
    fill(i, w);
    c.starts[i] = w.start;
    c.lengths[i] = w.length;
    c.outputStarts[i] = w.start + shift;
    c.outputLengths[i] = w.outputLength;
    shift += w.outputLength - w.length;
    const reason = w.reason ? REASONS.indexOf(w.reason) + 1 : 0;
    c.flags[i] = (w.inVocabulary ? IN_VOCABULARY : 0) | (w.protected ? PROTECTED : 0) | (w.changed ? CHANGED : 0) | (reason << 3);
  }
  return c;
}

function columnsFromWords(words: readonly WordResult[]): WordColumns {
  return makeColumns(words.length, (i, f) => {
    const w = words[i]!;
    f.start = w.start;
    f.length = w.source.length;
    f.outputLength = w.output.length;
    f.inVocabulary = w.inVocabulary;
    f.protected = w.protected;
    f.changed = w.changed;
    f.reason = w.unprotectedBecause ?? null;
  });
}

/** `result` with its `words` made by `make` when first read, then kept (a long text's 100,000 objects cost a caller that only sends `text` nothing). */
export function withLazyWords<T extends { words: WordResult[] }>(result: T, make: () => WordResult[]): T {
  let words: WordResult[] | null = null;
  return Object.defineProperty(result, "words", { enumerable: true, configurable: true, get: () => (words ??= make()) });
}

/** The word objects again, from the columns, the input and the result's output text. */
export function wordsFromColumns(input: string, result: Pick<PerturbResult, "text" | "mechanism" | "epsilon">, c: WordColumns): WordResult[] {
  const { mechanism, epsilon } = result;
  return Array.from(c.flags, (f, i) => {
    const start = c.starts[i]!;
    const word: WordResult = {
      source: input.slice(start, start + c.lengths[i]!),
      output: result.text.slice(c.outputStarts[i]!, c.outputStarts[i]! + c.outputLengths[i]!),
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
