// Which common English words a pack cannot look up: a word the source has no
// vector for always comes out as the placeholder, so `veil info`, the pack's
// metadata and the playground say which ones (GloVe's vocabulary, for one,
// lacks "a" and "i" after Veil's filtering of the source).
import { createRequire } from "node:module";
import { lookupKey } from "@veil/core";

/** Where the list comes from, as the pack's metadata names it. */
export const COMMON_WORDS_SOURCE =
  "the 100 most common English words (Oxford English Corpus, as listed on Wikipedia's 'Most common words in English'; npm common-words 0.1.3, MIT)";

/** The list, commonest first. */
export function commonWords(): string[] {
  const list = createRequire(import.meta.url)("common-words/words.json") as { rank: string; word: string }[];
  return [...list].sort((a, b) => Number(a.rank) - Number(b.rank)).map((e) => e.word);
}

/** The common words (as the tokenizer looks them up) that `has` does not find, commonest first. */
export function missingCommonWords(has: (key: string) => boolean): string[] {
  return [...new Set(commonWords().map(lookupKey))].filter((k) => !has(k));
}
