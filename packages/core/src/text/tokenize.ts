// docs/mechanisms.md, "Text handling": Intl.Segmenter at word granularity; only word-like
// segments are perturbed, everything else passes through untouched.

/** One `Intl.Segmenter` segment of a text, where it starts, and whether it is a word. */
export interface Token {
  text: string;
  start: number;
  /** True for segments the segmenter marks word-like (letters, digits, ideographs). */
  wordLike: boolean;
}

let segmenter: Intl.Segmenter | null = null;

/** Segment texts in pieces of about this many UTF-16 units (see `tokenize`). */
const CHUNK = 2048;

/**
 * Intl.Segmenter's cost grows faster than linearly with the string's length in
 * V8 (80k characters: about 1 s), so long texts are segmented in pieces cut
 * after a space or newline and before an ASCII letter or digit: a word
 * boundary in every UAX #29 rule, so the tokens are the same as in one pass.
 */
export function tokenize(text: string): Token[] {
  segmenter ??= new Intl.Segmenter("en", { granularity: "word" });
  const out: Token[] = [];
  let from = 0;
  while (from < text.length) {
    let to = text.length;
    if (text.length - from > CHUNK) {
      to = -1;
      for (let i = from + CHUNK; i < text.length && i < from + 16 * CHUNK; i++) {
        const prev = text.charCodeAt(i - 1);
        if ((prev === 32 || prev === 10) && /[A-Za-z0-9]/.test(text[i]!)) {
          to = i;
          break;
        }
      }
      if (to < 0) to = text.length; // no safe cut nearby: segment the rest in one pass
    }
    for (const s of segmenter.segment(text.slice(from, to))) out.push({ text: s.segment, start: from + s.index, wordLike: s.isWordLike === true });
    from = to;
  }
  return out;
}

/** The vocabulary key of a word: NFC, lower-case. */
export function lookupKey(word: string): string {
  return word.normalize("NFC").toLowerCase();
}

export type CasePattern = "lower" | "title" | "upper" | "other";

export function casePattern(word: string): CasePattern {
  // ASCII fast path (most words): count cases by char code, no string copies.
  let lower = 0,
    upper = 0,
    firstUpper = false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 97 && c <= 122) lower++;
    else if (c >= 65 && c <= 90) {
      upper++;
      if (i === 0) firstUpper = true;
    } else if (c > 127) return casePatternUnicode(word);
  }
  if (upper === 0) return lower === 0 ? "other" : "lower";
  if (lower === 0) return upper > 1 ? "upper" : "title";
  return firstUpper && upper === 1 ? "title" : "other";
}

function casePatternUnicode(word: string): CasePattern {
  const lower = word.toLowerCase();
  const upper = word.toUpperCase();
  if (lower === upper) return "other"; // no letters with case (digits, CJK)
  if (word === lower) return "lower";
  if (word === upper) return [...word].length > 1 ? "upper" : "title";
  const [first, ...rest] = [...word];
  if (first === first!.toUpperCase() && rest.join("") === rest.join("").toLowerCase()) return "title";
  return "other";
}

/** Gives `word` (lower-case) the case pattern of the source word. */
export function applyCase(word: string, pattern: CasePattern): string {
  switch (pattern) {
    case "upper":
      return word.toUpperCase();
    case "title": {
      const [first, ...rest] = [...word];
      return first === undefined ? word : first.toUpperCase() + rest.join("");
    }
    default:
      return word;
  }
}

/** True when `w` is one whole word-like segment: what the tokenizer can ever look up. */
export function isSingleWord(w: string): boolean {
  const t = tokenize(w);
  return t.length === 1 && t[0]!.wordLike;
}
