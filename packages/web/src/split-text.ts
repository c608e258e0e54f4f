// Splitting a long text across several workers (loadVeil's `workers`), and
// putting the results back together. Every mechanism treats each word on its
// own, so perturbing the parts separately has the same law as the whole; the
// parts are cut where every segmentation rule has a boundary (the core's
// isSafeCut, where its tokenizer cuts too), so each part's words are exactly
// the whole text's words.
import { isSafeCut, type PerturbResult } from "@veil/core";
import { withLazyWords } from "@veil/core/internal";

/** Below this many UTF-16 units a text stays in one piece: the workers' round trips would cost more than they save. */
export const MIN_PART = 2048;

/** Up to `n` parts of nearly equal length, cut at safe boundaries; fewer when the text is short or has no cut nearby. */
export function splitText(text: string, n: number): { text: string; offset: number }[] {
  const parts: { text: string; offset: number }[] = [];
  const target = Math.max(MIN_PART, Math.ceil(text.length / n));
  let from = 0;
  while (parts.length < n - 1 && text.length - from > target + MIN_PART / 2) {
    const cut = safeCutFrom(text, from + target);
    if (cut < 0 || cut >= text.length) break;
    parts.push({ text: text.slice(from, cut), offset: from });
    from = cut;
  }
  parts.push({ text: text.slice(from), offset: from });
  return parts;
}

function safeCutFrom(text: string, at: number): number {
  for (let i = Math.max(1, at); i < text.length; i++) if (isSafeCut(text, i)) return i;
  return -1;
}

/**
 * One result from the parts' results: texts joined, word offsets moved to the whole
 * text's (when `words` is first read, as each part's own words are), privacy summed.
 */
export function joinResults(parts: { offset: number }[], results: PerturbResult[]): PerturbResult {
  const first = results[0]!;
  const joined: PerturbResult = {
    ...first,
    text: results.map((r) => r.text).join(""),
    words: [],
    seeded: results.some((r) => r.seeded),
    calibrated: results.every((r) => r.calibrated),
    privacy: {
      ...first.privacy,
      wordsPerturbed: results.reduce((s, r) => s + r.privacy.wordsPerturbed, 0),
      epsilonTotal: results.reduce((s, r) => s + r.privacy.epsilonTotal, 0),
    },
  };
  return withLazyWords(joined, () => results.flatMap((r, i) => r.words.map((w) => ({ ...w, start: w.start + parts[i]!.offset }))));
}
