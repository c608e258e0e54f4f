// Texts and settings that between them give every kind of word result: vocabulary
// words in every case, out-of-vocabulary words kept and redacted, kept stopwords,
// SanText+'s unprotected words, a custom placeholder, emoji and unpaired
// surrogates, short texts (words made at once) and a long one (made when read).
// Shared by the tests of a result's word columns (core) and of their trip across
// the worker boundary (@veil/web), through @veil/core/testing (so it ships with
// that entry, unlike test-support/).
import type { PerturbOptions } from "./text/perturb.js";

/** Words the texts are made of; a vocabulary should hold them (and any others). */
export const WORD_KINDS_VOCABULARY = ["the", "cat", "sat", "on", "mat", "dog", "ran", "far", "away", "home", "straße", "東京"];

/** The texts (the long one cycles through `vocabulary`) and the settings to perturb each with. */
export function everyWordKind(vocabulary: readonly string[]): { texts: string[]; settings: PerturbOptions[] } {
  return {
    texts: [
      "The CAT sat on the Zorblax mat.",
      "\uFEFF😀 the \uD800 dog RAN far, STRASSE Straße 東京 away \uDC00home!",
      Array.from({ length: 3000 }, (_, i) => `${vocabulary[i % vocabulary.length]}${i % 7 ? " " : ", Qwerty "}`).join(""),
    ],
    settings: [
      { mechanism: "exponential", epsilon: 2 },
      { mechanism: "exponential", epsilon: 2, oov: "keep" },
      { mechanism: "exponential", epsilon: 2, keep: "stopwords" },
      { mechanism: "santext", epsilon: 2 },
      { mechanism: "exponential", epsilon: 2, placeholder: "[x]" },
    ],
  };
}

/** The reasons every kind of word gives between them (`unprotectedBecause`, and none). */
export const EVERY_REASON = [undefined, "not-sensitive", "out-of-vocabulary", "stopword"].sort();
