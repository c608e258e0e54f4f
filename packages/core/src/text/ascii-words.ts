// A fast path for runs of ASCII text that gives exactly the segments (and
// word-likeness) Intl.Segmenter gives at word granularity, which in V8 costs
// about 4 µs a segment. The rules are UAX #29's, restricted to ASCII, as V8's
// ICU applies them (pinned by ascii-words.test.ts against Intl.Segmenter itself
// on random and real text):
//   - letters, digits and "_" join (WB5, WB8-WB10, WB13a/b);
//   - a letter, then ":" "." or "'", then a letter joins (WB6/7);
//   - a digit, then "," ";" "." or "'", then a digit joins (WB11/12);
//   - runs of spaces (U+0020 only) are one segment (WB3d); CR LF is one (WB3);
//   - every other character is a segment of its own (WB999).
// A segment is word-like when it starts with a letter, digit or "_", except a
// lone "_" (ICU gives the word status only when a joining rule applied: "__"
// and "_a" are word-like, "_" is not).

/** What one ASCII character can do in a word. */
const enum Cls {
  Other = 0,
  Letter = 1,
  Digit = 2,
  Under = 3,
  /** ":" joins letters only. */
  MidLetter = 4,
  /** "." and "'" join letters and join digits. */
  MidNumLet = 5,
  /** "," and ";" join digits only. */
  MidNum = 6,
  Space = 7,
  CR = 8,
}

const CLASS = new Uint8Array(128);
for (let c = 65; c <= 90; c++) CLASS[c] = Cls.Letter;
for (let c = 97; c <= 122; c++) CLASS[c] = Cls.Letter;
for (let c = 48; c <= 57; c++) CLASS[c] = Cls.Digit;
CLASS[95] = Cls.Under;
CLASS[58] = Cls.MidLetter;
CLASS[46] = CLASS[39] = Cls.MidNumLet;
CLASS[44] = CLASS[59] = Cls.MidNum;
CLASS[32] = Cls.Space;
CLASS[13] = Cls.CR;

const isWordChar = (k: number): boolean => k === Cls.Letter || k === Cls.Digit || k === Cls.Under;

/** Calls `emit(start, end, wordLike)` for each segment of text[from, to), which must be all ASCII. */
export function asciiSegments(text: string, from: number, to: number, emit: (start: number, end: number, wordLike: boolean) => void): void {
  let i = from;
  while (i < to) {
    const k = CLASS[text.charCodeAt(i)]!;
    let end: number;
    if (isWordChar(k)) end = wordEnd(text, i, to);
    else if (k === Cls.Space) {
      end = i + 1;
      while (end < to && text.charCodeAt(end) === 32) end++;
    } else end = k === Cls.CR && i + 1 < to && text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
    emit(i, end, isWordChar(k) && !(k === Cls.Under && end === i + 1));
    i = end;
  }
}

/** Where word spans go: `push(start, end)` for each word-like segment, in order. */
export interface SpanSink {
  push(start: number, end: number): void;
}

/**
 * The word-like segments of text[from, to) (all ASCII) into `sink`: exactly those of
 * `asciiSegments`, without a call for the segments between them. A character that is
 * not a letter, digit or "_" is never inside a word-like segment unless `wordEnd`
 * joined it, so the scan steps over such characters one at a time.
 */
export function asciiWords(text: string, from: number, to: number, sink: SpanSink): void {
  let i = from;
  while (i < to) {
    const k = CLASS[text.charCodeAt(i)]!;
    if (!isWordChar(k)) {
      i++;
      continue;
    }
    const end = wordEnd(text, i, to);
    if (!(k === Cls.Under && end === i + 1)) sink.push(i, end);
    i = end;
  }
}

/** The end of the word that starts at `i` (a letter, digit or "_"). */
function wordEnd(text: string, i: number, to: number): number {
  let prev = CLASS[text.charCodeAt(i)]!;
  let j = i + 1;
  while (j < to) {
    const k = CLASS[text.charCodeAt(j)]!;
    if (isWordChar(k)) {
      prev = k;
      j++;
      continue;
    }
    if (j + 1 >= to) break;
    const next = CLASS[text.charCodeAt(j + 1)]!;
    const joinsLetters = prev === Cls.Letter && next === Cls.Letter && (k === Cls.MidLetter || k === Cls.MidNumLet);
    const joinsDigits = prev === Cls.Digit && next === Cls.Digit && (k === Cls.MidNum || k === Cls.MidNumLet);
    if (!joinsLetters && !joinsDigits) break;
    prev = next;
    j += 2;
  }
  return j;
}
