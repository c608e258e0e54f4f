// A perturb() result crosses the worker boundary with its words as five typed
// columns, transferred, instead of one object per word (@veil/core's
// text/word-columns.ts): structured clone of a 100,000-word result's objects (two
// strings each) cost several times the perturbation itself (here 170-350 ms
// against about 40 ms). The columns come straight from what perturb() found, and
// the page makes the word objects from them, the input and the output text when
// `words` is first read, so a caller that only sends `text` never pays for them.
import type { PerturbResult } from "@veil/core";
import { withLazyWords, wordColumns, wordsFromColumns, type WordColumns } from "@veil/core/internal";

/** A result without its word objects, and its words as columns. */
export interface PackedResult {
  result: Omit<PerturbResult, "words">;
  words: WordColumns;
}

/** The result packed, and the buffers to transfer with it (worker side). */
export function packResult(res: PerturbResult): { packed: PackedResult; transfer: ArrayBuffer[] } {
  const words = wordColumns(res);
  // Every field but `words`, which is not read (reading it would make the objects).
  const result = Object.fromEntries(Object.keys(res).flatMap((k) => (k === "words" ? [] : [[k, res[k as keyof PerturbResult]]]))) as Omit<
    PerturbResult,
    "words"
  >;
  const packed = { result, words };
  const transfer = [words.starts, words.lengths, words.outputStarts, words.outputLengths, words.flags].map((a) => a.buffer as ArrayBuffer);
  return { packed, transfer };
}

/** The result again (page side), its `words` made from the columns and the two texts when first read. */
export function unpackResult(input: string, { result, words }: PackedResult): PerturbResult {
  return withLazyWords({ ...result, words: [] }, () => wordsFromColumns(input, result, words));
}
