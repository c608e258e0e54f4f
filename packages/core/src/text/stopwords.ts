// The public stopword list behind `keep: "stopwords"` (docs/mechanisms.md,
// "Keeping stopwords"): npm `stopword` 3.1.5's English list (108 words, from the
// `natural` library, Chris Umbel, MIT), pinned so the list cannot change under a
// user. It holds "a" and "i", which the default pack lacks. Kept words pass
// unchanged and are marked unprotected: anyone can see them.
import { eng } from "stopword";

/** The stopwords `keep: "stopwords"` lets through, lower-case. */
export const STOPWORDS: ReadonlySet<string> = new Set(eng.map((w: string) => w.toLowerCase()));

/** Where the list comes from, for results, the playground and docs. */
export const STOPWORDS_SOURCE = "npm stopword 3.1.5, English list (108 words, from the natural library; MIT)";

/** Whether a lower-cased word is on the stopword list. */
export function isStopword(key: string): boolean {
  return STOPWORDS.has(key);
}
