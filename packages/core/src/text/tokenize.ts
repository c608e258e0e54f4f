// docs/mechanisms.md, "Text handling": Intl.Segmenter at word granularity; only word-like
// segments are perturbed, everything else passes through untouched.
import { asciiSegments, asciiWords, type SpanSink } from "./ascii-words.js";
import { isSafeCut } from "./safe-cut.js";

/** One `Intl.Segmenter` segment of a text, where it starts, and whether it is a word. */
export interface Token {
  text: string;
  start: number;
  /** True for segments the segmenter marks word-like (letters, digits, ideographs). */
  wordLike: boolean;
}

let segmenter: Intl.Segmenter | null = null;

/** Segment texts in pieces of about this many UTF-16 units (see `segmentWithIntl`). */
const CHUNK = 2048;

/**
 * The text's `Intl.Segmenter` word segments. Runs of ASCII take the fast path
 * of ascii-words.ts (the same segments, about 20 times faster); a stretch with
 * any other character goes to the segmenter itself, cut at boundaries that hold
 * in every UAX #29 rule (after a space or newline, before an ASCII letter or
 * digit), so the tokens are the same as in one pass.
 */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  forEachSegment(text, (start, end, wordLike) => out.push({ text: text.slice(start, end), start, wordLike }));
  return out;
}

/** The word-like segments alone, as offsets (what perturb needs: no object or string per segment). */
export interface WordSpans {
  starts: ArrayLike<number>;
  ends: ArrayLike<number>;
  count: number;
}

/** From this length on, spans go into typed arrays that double as they fill (plain arrays' pushes were a tenth of M4's perturb() on 1 MB). */
const TYPED_SPANS = 4096;

/** The text's word-like segments, exactly those of `tokenize`, as start and end offsets. */
export function wordSpans(text: string): WordSpans {
  // Plain arrays for a short text (the common case), which would pay more for allocating typed arrays than it saves.
  const sink = text.length >= TYPED_SPANS ? new TypedSpans(text.length >> 2) : new ArraySpans();
  forEachStretch(
    text,
    (from, to) => asciiWords(text, from, to, sink),
    (from, to) => segmentWithIntl(text, from, to, (start, end, wordLike) => wordLike && sink.push(start, end)),
  );
  return sink.spans();
}

/** Spans in plain arrays. */
class ArraySpans implements SpanSink {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  push(start: number, end: number): void {
    this.starts.push(start);
    this.ends.push(end);
  }
  spans(): WordSpans {
    return { starts: this.starts, ends: this.ends, count: this.starts.length };
  }
}

/** Spans in typed arrays that double as they fill. */
class TypedSpans implements SpanSink {
  private starts: Int32Array<ArrayBuffer>;
  private ends: Int32Array<ArrayBuffer>;
  private count = 0;
  constructor(capacity: number) {
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }
  push(start: number, end: number): void {
    if (this.count === this.starts.length) ((this.starts = grown(this.starts)), (this.ends = grown(this.ends)));
    this.starts[this.count] = start;
    this.ends[this.count++] = end;
  }
  spans(): WordSpans {
    return { starts: this.starts.subarray(0, this.count), ends: this.ends.subarray(0, this.count), count: this.count };
  }
}

function grown(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2 + 16);
  b.set(a);
  return b;
}

/** Every segment in order, as (start, end, wordLike): the ASCII fast path, or the segmenter for other stretches. */
function forEachSegment(text: string, emit: (start: number, end: number, wordLike: boolean) => void): void {
  forEachStretch(
    text,
    (from, to) => asciiSegments(text, from, to, emit),
    (from, to) => segmentWithIntl(text, from, to, emit),
  );
}

/**
 * The text cut into stretches, in order: all-ASCII ones to `ascii`, and each stretch
 * around other characters, cut at safe boundaries, to `other` (the segmenter).
 */
export function forEachStretch(text: string, ascii: (from: number, to: number) => void, other: (from: number, to: number) => void): void {
  let i = 0;
  while (i < text.length) {
    const firstOther = nextNonAscii(text, i);
    if (firstOther === text.length) {
      ascii(i, text.length);
      break;
    }
    const start = safeCutBefore(text, i, firstOther);
    ascii(i, start);
    const end = safeCutAfter(text, firstOther);
    other(start, end);
    i = end;
  }
}

const NON_ASCII = /[^\x00-\x7f]/g;

/** The first character past 127 from `from` on, or the text's end (a regular expression: about 5 times a charCodeAt loop's speed here). */
function nextNonAscii(text: string, from: number): number {
  NON_ASCII.lastIndex = from;
  return NON_ASCII.test(text) ? NON_ASCII.lastIndex - 1 : text.length;
}

/** The last safe cut in (from, at], or `from` (itself a cut: the text's start or an earlier cut). */
function safeCutBefore(text: string, from: number, at: number): number {
  for (let i = at; i > from; i--) if (isSafeCut(text, i)) return i;
  return from;
}

/** The first safe cut after `at`, or the text's end. */
function safeCutAfter(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) if (isSafeCut(text, i)) return i;
  return text.length;
}

/**
 * Intl.Segmenter over text[from, to). Its cost grows faster than linearly with
 * the string's length in V8 (80k characters: about 1 s), so a long stretch is
 * segmented in pieces of about CHUNK, cut at safe boundaries.
 */
export function segmentWithIntl(text: string, from: number, to: number, emit: (start: number, end: number, wordLike: boolean) => void): void {
  segmenter ??= new Intl.Segmenter("en", { granularity: "word" });
  while (from < to) {
    let end = to;
    if (to - from > CHUNK) {
      end = -1;
      for (let i = from + CHUNK; i < to && i < from + 16 * CHUNK; i++)
        if (isSafeCut(text, i)) {
          end = i;
          break;
        }
      if (end < 0) end = to; // no safe cut nearby: segment the rest in one pass
    }
    for (const s of segmenter.segment(text.slice(from, end))) emit(from + s.index, from + s.index + s.segment.length, s.isWordLike === true);
    from = end;
  }
}

/** The vocabulary key of a word: NFC, lower-case. */
export function lookupKey(word: string): string {
  // ASCII (most words): NFC changes nothing, and a lower-case word is its own key (no copy).
  let upper = false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c > 127) return word.normalize("NFC").toLowerCase();
    if (c >= 65 && c <= 90) upper = true;
  }
  return upper ? word.toLowerCase() : word;
}

export type CasePattern = "lower" | "title" | "upper" | "other";

/** The case pattern of a word: all lower, title, all upper, or other. */
export function casePattern(word: string): CasePattern {
  return casePatternAt(word, 0, word.length);
}

/** `casePattern` of text[start, end), without cutting it out when it is ASCII (most words). */
export function casePatternAt(text: string, start: number, end: number): CasePattern {
  // ASCII fast path: count cases by char code, no string copies.
  let lower = 0,
    upper = 0,
    firstUpper = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 97 && c <= 122) lower++;
    else if (c >= 65 && c <= 90) {
      upper++;
      if (i === start) firstUpper = true;
    } else if (c > 127) return casePatternUnicode(text.slice(start, end));
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
      // An ASCII first letter (most words) is one code unit: no need to split by code point.
      if (word.length > 0 && word.charCodeAt(0) < 128) return word.charAt(0).toUpperCase() + word.slice(1);
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
