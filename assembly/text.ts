// Text handling in one pass each way: the word spans of a text's ASCII stretches
// and their vocabulary ids, then the output text. This is the WebAssembly twin of
// the JavaScript path, and gives the same answers:
//   - spans: packages/core/src/text/ascii-words.ts (asciiWords, wordEnd), the
//     Unicode word rules restricted to ASCII, which give Intl.Segmenter's segments;
//   - ids: packages/core/src/text/word-index.ts (AsciiWordIndex.lookup): the same
//     lower-case ASCII words in an open-addressing table of the module's own, whose
//     slots hold a short word whole, so most look-ups read one cache line;
//   - output: packages/core/src/text/perturb.ts (outputsOf and spliceWords) with
//     tokenize.ts's casePatternAt and applyCase, restricted to ASCII case mapping.
// The host's TextEncoder.encodeInto hands the text over as UTF-8 (its fastest
// way out of a string); `textLoad` widens it to UTF-16 code units, as the
// string is, so offsets are the host's. The host segments stretches with other
// characters itself and adds their words with `textAddWord` (with their case
// pattern). The output is written as UTF-8 for the host's TextDecoder. An output
// word whose case needs Unicode's mapping makes `textWrite` answer -1, and the
// host writes that text in JavaScript. Pinned by packages/core/src/backends/wasm-text.test.ts.

const OTHER: u8 = 0;
const LETTER: u8 = 1;
const DIGIT: u8 = 2;
const UNDER: u8 = 3;
/** ":" joins letters only. */
const MID_LETTER: u8 = 4;
/** "." and "'" join letters and join digits. */
const MID_NUM_LET: u8 = 5;
/** "," and ";" join digits only. */
const MID_NUM: u8 = 6;

/** What each ASCII character can do in a word. */
const CLASS: usize = memory.data(128);

function fillClasses(): void {
  for (let c = 65; c <= 90; c++) store<u8>(CLASS + c, LETTER);
  for (let c = 97; c <= 122; c++) store<u8>(CLASS + c, LETTER);
  for (let c = 48; c <= 57; c++) store<u8>(CLASS + c, DIGIT);
  store<u8>(CLASS + 95, UNDER);
  store<u8>(CLASS + 58, MID_LETTER);
  store<u8>(CLASS + 46, MID_NUM_LET);
  store<u8>(CLASS + 39, MID_NUM_LET);
  store<u8>(CLASS + 44, MID_NUM);
  store<u8>(CLASS + 59, MID_NUM);
}

function unitAt(text: usize, i: i32): u32 {
  return <u32>load<u16>(text + ((<usize>i) << 1));
}

/** The class of text[i], which is ASCII (the host hands over ASCII stretches only; anything else reads as OTHER). */
function classAt(text: usize, i: i32): u8 {
  const c = unitAt(text, i);
  return c < 128 ? load<u8>(CLASS + <usize>c) : OTHER;
}

function lowerUnit(c: u32): u32 {
  return c - 65 < 26 ? c + 32 : c;
}

function upperUnit(c: u32): u16 {
  return <u16>(c - 97 < 26 ? c - 32 : c);
}

// The vocabulary, set once per backend by `textVocabulary`.
let wordUnits: usize = 0; // every word's UTF-16 units, back to back
let wordFlags: usize = 0; // u8[n]: WORD_ASCII, WORD_JS_ONLY, WORD_LOOKUP
/**
 * Per word, 16 bytes: its first eight units as bytes (u64, zero past its length;
 * meaningful when it is ASCII), where its units start (i32) and its length (i32).
 * A word of eight ASCII units or fewer is written from here alone.
 */
let records: usize = 0;
/**
 * The look-up table: open addressing, at most half full, 16 bytes a slot: the word's
 * prefix as in `records` (u64), its id + 1 (i32, 0 for an empty slot) and its length
 * (i32). A word of eight units or fewer is matched on the slot alone.
 */
let table: usize = 0;
let tableMask: u32 = 0;

/** The word is all ASCII (its case can be mapped here). */
const WORD_ASCII: u8 = 1;
/** The word holds a surrogate: the host writes such outputs itself. */
const WORD_JS_ONLY: u8 = 2;
/** The word is lower-case ASCII: what an ASCII span lower-cases to can be it (word-index.ts puts the same words in its table). */
const WORD_LOOKUP: u8 = 4;

/**
 * Takes the vocabulary: `n` words' UTF-16 units with `starts` (i32[n + 1]; readable
 * seven units past the last) and their flags (u8[n]); fills `recs` (16 bytes a word)
 * and the look-up table `slots` (`slotCount`, a power of two at least 2n, 16 bytes
 * each, all zero), inserting the WORD_LOOKUP words in id order.
 */
export function textVocabulary(units: usize, starts: usize, flags: usize, n: i32, recs: usize, slots: usize, slotCount: u32): void {
  fillClasses();
  wordUnits = units;
  wordFlags = flags;
  records = recs;
  table = slots;
  tableMask = slotCount - 1;
  for (let id = 0; id < n; id++) {
    const a = load<i32>(starts + ((<usize>id) << 2));
    const len = load<i32>(starts + ((<usize>(id + 1)) << 2)) - a;
    const prefix = prefixOf(narrowed(i16x8.splat(0), units, a), len); // the word's own units (no lower-casing)
    const rec = recs + ((<usize>id) << 4);
    store<u64>(rec, prefix);
    store<i32>(rec, a, 8);
    store<i32>(rec, len, 12);
    if (load<u8>(flags + <usize>id) & WORD_LOOKUP) insert(prefix, len > 8 ? restHash(units, a + 8, a + len) : 0, len, id);
  }
}

function insert(prefix: u64, rest: u32, len: i32, id: i32): void {
  let at = keyHash(prefix, rest, len) & tableMask;
  while (load<i32>(table + ((<usize>at) << 4), 8) != 0) at = (at + 1) & tableMask;
  const slot = table + ((<usize>at) << 4);
  store<u64>(slot, prefix);
  store<i32>(slot, id + 1, 8);
  store<i32>(slot, len, 12);
}

/** Units [i, i + 8) of `src` as bytes (u64), with `toLower` ORed in first (0x20 on the lanes to lower-case, or none). */
function narrowed(toLower: v128, src: usize, i: i32): u64 {
  const v = v128.or(v128.load(src + ((<usize>i) << 1)), toLower);
  return i64x2.extract_lane(i8x16.narrow_i16x8_u(v, v), 0);
}

/** The first min(len, 8) bytes of `bytes`, the rest zero. */
function prefixOf(bytes: u64, len: i32): u64 {
  return len >= 8 ? bytes : bytes & (((<u64>1) << ((<u64>len) << 3)) - 1);
}

/** FNV-1a over the lower-cased units [from, to) of `src`: the part of a long word past its prefix. */
function restHash(src: usize, from: i32, to: i32): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i = from; i < to; i++) h = (h ^ lowerUnit(unitAt(src, i))) * 0x01000193;
  return h;
}

/** A slot index from a word's prefix, the hash of the rest and its length (a multiplicative hash, high bits). */
function keyHash(prefix: u64, rest: u32, len: i32): u32 {
  return <u32>(((prefix ^ ((<u64>rest) << 32) ^ (<u64>len)) * 0x9e3779b97f4a7c15) >> 32);
}

// The words found so far in the text being scanned (textScanStart resets them).
let spanStarts: usize = 0;
let spanEnds: usize = 0;
let spanKinds: usize = 0;
let spanCases: usize = 0;
let foundIds: usize = 0;
let count: i32 = 0;
let found: i32 = 0;

/** A segment's case byte when the source is ASCII: the pattern is read from it when writing. */
const CASE_FROM_SOURCE: u8 = 0;

/**
 * Starts a text: its words go to starts/ends (i32), kinds (u8: 1 a vocabulary word,
 * 0 not), cases (u8: CASE_FROM_SOURCE, or 1 + the case pattern of a word the host
 * added) and, for vocabulary words, ids (i32); one entry per UTF-16 unit at most.
 */
export function textScanStart(starts: usize, ends: usize, kinds: usize, cases: usize, ids: usize): void {
  spanStarts = starts;
  spanEnds = ends;
  spanKinds = kinds;
  spanCases = cases;
  foundIds = ids;
  count = 0;
  found = 0;
}

/** How many word-like segments the text has so far. */
export function textCount(): i32 {
  return count;
}

/** How many of them the vocabulary holds (the ids written). */
export function textFound(): i32 {
  return found;
}

/** One word found by the host (a stretch with other characters): its span, id (-1: none) and case pattern. */
export function textAddWord(start: i32, end: i32, id: i32, pattern: i32): void {
  addWord(start, end, id, <u8>(1 + pattern));
}

function addWord(start: i32, end: i32, id: i32, caseByte: u8): void {
  store<i32>(spanStarts + ((<usize>count) << 2), start);
  store<i32>(spanEnds + ((<usize>count) << 2), end);
  store<u8>(spanKinds + <usize>count, id >= 0 ? 1 : 0);
  store<u8>(spanCases + <usize>count, caseByte);
  count++;
  if (id >= 0) {
    store<i32>(foundIds + ((<usize>found) << 2), id);
    found++;
  }
}

/**
 * The word-like segments of text[from, to), which is all ASCII, each looked up, after
 * those found so far. Eight units are classified at a time (`wordMask`), so a word
 * costs a few branches rather than one per character. The text must be readable
 * seven units past `to`.
 */
export function textScan(text: usize, from: i32, to: i32): void {
  let i = from;
  while (i < to) {
    const m = wordMask(text, i) & lanesBelow(to - i);
    if (m == 0) {
      i += 8;
      continue;
    }
    i += ctz(m);
    const end = wordEnd(text, i, to);
    if (!(unitAt(text, i) == 95 && end == i + 1)) addWord(i, end, lookup(text, i, end), CASE_FROM_SOURCE); // a lone "_" is not word-like
    i = end;
  }
}

/** Bit j set when text[i + j] is a letter, digit or "_" (ASCII), for j < 8. */
function wordMask(text: usize, i: i32): i32 {
  const v = v128.load(text + ((<usize>i) << 1));
  const letter = i16x8.lt_u(i16x8.sub(v128.or(v, i16x8.splat(0x20)), i16x8.splat(97)), i16x8.splat(26));
  const digit = i16x8.lt_u(i16x8.sub(v, i16x8.splat(48)), i16x8.splat(10));
  const under = i16x8.eq(v, i16x8.splat(95));
  return i16x8.bitmask(v128.or(v128.or(letter, digit), under));
}

/** The lanes of a window of eight that lie before the stretch's end, `left` units away. */
function lanesBelow(left: i32): i32 {
  return left >= 8 ? 0xff : (1 << left) - 1;
}

/**
 * The end of the word that starts at `i` (a letter, digit or "_"): ascii-words.ts
 * wordEnd. A run of word characters is skipped eight at a time; at the character
 * after it, a letter-joiner between letters or a digit-joiner between digits
 * (WB6/7, WB11/12) continues the word.
 */
function wordEnd(text: usize, i: i32, to: i32): i32 {
  let j = i + 1;
  while (j < to) {
    const m = ~wordMask(text, j) & lanesBelow(to - j);
    if (m == 0) {
      j += 8;
      continue;
    }
    j += ctz(m);
    if (j + 1 >= to) break;
    const prev = classAt(text, j - 1);
    const k = classAt(text, j);
    const next = classAt(text, j + 1);
    const joinsLetters = prev == LETTER && next == LETTER && (k == MID_LETTER || k == MID_NUM_LET);
    const joinsDigits = prev == DIGIT && next == DIGIT && (k == MID_NUM || k == MID_NUM_LET);
    if (!joinsLetters && !joinsDigits) break;
    j += 2;
  }
  return min(j, to);
}

/**
 * The id of text[start, end) lower-cased, or -1: its first eight units are
 * lower-cased and narrowed to bytes in one SIMD step, and a word that long or shorter
 * is matched on its slot alone. The text must be readable seven units past `end`.
 */
function lookup(text: usize, start: i32, end: i32): i32 {
  const len = end - start;
  const v = v128.load(text + ((<usize>start) << 1));
  const isUpper = i16x8.lt_u(i16x8.sub(v, i16x8.splat(65)), i16x8.splat(26));
  const prefix = prefixOf(narrowed(v128.and(isUpper, i16x8.splat(0x20)), text, start), len);
  const rest = len > 8 ? restHash(text, start + 8, end) : 0;
  let at = keyHash(prefix, rest, len) & tableMask;
  let slot = table + ((<usize>at) << 4);
  // The table is at most half full, so an empty slot ends every probe.
  while (load<i32>(slot, 8) != 0) {
    if (load<i32>(slot, 12) == len && load<u64>(slot) == prefix && (len <= 8 || restMatches(load<i32>(slot, 8) - 1, text, start + 8, end)))
      return load<i32>(slot, 8) - 1;
    at = (at + 1) & tableMask;
    slot = table + ((<usize>at) << 4);
  }
  return -1;
}

/** Whether word `id`'s units past its prefix are text[from, end) lower-cased. */
function restMatches(id: i32, text: usize, from: i32, end: i32): bool {
  const w = wordUnits + ((<usize>(load<i32>(records + ((<usize>id) << 4), 8) + 8)) << 1);
  for (let i = from; i < end; i++) if (<u32>load<u16>(w + ((<usize>(i - from)) << 1)) != lowerUnit(unitAt(text, i))) return false;
  return true;
}

const CASE_LOWER = 0;
const CASE_TITLE = 1;
const CASE_UPPER = 2;
const CASE_OTHER = 3;

/** tokenize.ts casePatternAt for an ASCII word. */
function casePattern(text: usize, start: i32, end: i32): i32 {
  let lower = 0;
  let upper = 0;
  let firstUpper = false;
  for (let i = start; i < end; i++) {
    const c = unitAt(text, i);
    if (c - 97 < 26) lower++;
    else if (c - 65 < 26) {
      upper++;
      if (i == start) firstUpper = true;
    }
  }
  if (upper == 0) return lower == 0 ? CASE_OTHER : CASE_LOWER;
  if (lower == 0) return upper > 1 ? CASE_UPPER : CASE_TITLE;
  return firstUpper && upper == 1 ? CASE_TITLE : CASE_OTHER;
}

function spanStart(i: i32): i32 {
  return load<i32>(spanStarts + ((<usize>i) << 2));
}

function spanEnd(i: i32): i32 {
  return load<i32>(spanEnds + ((<usize>i) << 2));
}

function wordLength(id: i32): i32 {
  return load<i32>(records + ((<usize>id) << 4), 12);
}

/**
 * The length in UTF-16 units of `textWrite`'s output for the text scanned last: each
 * vocabulary word becomes its output (outIds, i32, in order; case keeps an ASCII
 * word's length), any other word itself (`keep`) or the placeholder (phLen units).
 * Its UTF-8 takes at most three bytes a unit.
 */
export function textOutputLength(len: i32, outIds: usize, keep: bool, phLen: i32): i32 {
  let total = len;
  for (let i = 0, k = 0; i < count; i++) {
    const source = spanEnd(i) - spanStart(i);
    if (load<u8>(spanKinds + <usize>i)) {
      total += wordLength(load<i32>(outIds + ((<usize>k) << 2))) - source;
      k++;
    } else if (!keep) total += phLen - source;
  }
  return total;
}

/**
 * The output of the text scanned last (text[0, len), UTF-16) into `out` as UTF-8:
 * everything between the words as it was; a vocabulary word's output in the source
 * word's case; any other word as it was (`keep`) or the placeholder ph[0, phLen)
 * (UTF-16). Returns the bytes written, or -1 when an output word's case needs
 * Unicode's mapping or the word holds a surrogate (the host then writes the text).
 */
export function textWrite(text: usize, len: i32, outIds: usize, keep: bool, ph: usize, phLen: i32, out: usize): i32 {
  let at: usize = out;
  let prev = 0;
  for (let i = 0, k = 0; i < count; i++) {
    const start = spanStart(i);
    const end = spanEnd(i);
    at = utf8Of(at, text, prev, start);
    if (load<u8>(spanKinds + <usize>i)) {
      const caseByte = load<u8>(spanCases + <usize>i);
      const pattern = caseByte == CASE_FROM_SOURCE ? casePattern(text, start, end) : <i32>caseByte - 1;
      at = writeWord(load<i32>(outIds + ((<usize>k) << 2)), pattern, at);
      if (at == 0) return -1;
      k++;
    } else at = keep ? utf8Of(at, text, start, end) : utf8Of(at, ph, 0, phLen);
    prev = end;
  }
  at = utf8Of(at, text, prev, len);
  return <i32>(at - out);
}

/**
 * src[from, to) (UTF-16 units, no surrogates) as UTF-8 at `at`; returns the end.
 * Eight ASCII units are narrowed to bytes at a time, so `src` must be readable seven
 * units past `to` and `out` writable seven bytes past the end; most pieces (the
 * words and what lies between them) are one window.
 */
function utf8Of(at: usize, src: usize, from: i32, to: i32): usize {
  let i = from;
  while (i < to) {
    const v = v128.load(src + ((<usize>i) << 1));
    const n = min(8, to - i);
    if ((i16x8.bitmask(i16x8.gt_u(v, i16x8.splat(127))) & lanesBelow(n)) == 0) {
      v128.store64_lane(at, i8x16.narrow_i16x8_u(v, v), 0);
      at += <usize>n;
      i += n;
      continue;
    }
    at = utf8OfUnit(at, unitAt(src, i++));
  }
  return at;
}

/** One unit (not a surrogate) as UTF-8 at `at`; returns the end. */
function utf8OfUnit(at: usize, c: u32): usize {
  if (c < 0x80) {
    store<u8>(at, <u8>c);
    return at + 1;
  }
  if (c < 0x800) {
    store<u8>(at, <u8>(0xc0 | (c >> 6)));
    store<u8>(at + 1, <u8>(0x80 | (c & 63)));
    return at + 2;
  }
  store<u8>(at, <u8>(0xe0 | (c >> 12)));
  store<u8>(at + 1, <u8>(0x80 | ((c >> 6) & 63)));
  store<u8>(at + 2, <u8>(0x80 | (c & 63)));
  return at + 3;
}

/**
 * Vocabulary word `id` in case `pattern` as UTF-8 at `at` (tokenize.ts applyCase);
 * returns the end, or 0 when the host must write it. A word of eight ASCII units or
 * fewer is written from its record as one 8-byte store (`out` has the slack).
 */
function writeWord(id: i32, pattern: i32, at: usize): usize {
  const flags = load<u8>(wordFlags + <usize>id);
  if (flags & WORD_JS_ONLY) return 0;
  const rec = records + ((<usize>id) << 4);
  const len = load<i32>(rec, 12);
  if (flags & WORD_ASCII && len <= 8) {
    let bytes = load<u64>(rec);
    if (pattern == CASE_UPPER) bytes = upperBytes(bytes);
    else if (pattern == CASE_TITLE) bytes = (bytes & ~(<u64>0xff)) | (<u64>upperUnit(<u32>(bytes & 0xff)));
    store<u64>(at, bytes);
    return at + <usize>len;
  }
  const a = load<i32>(rec, 8);
  const b = a + len;
  if (pattern == CASE_UPPER) {
    if (!(flags & WORD_ASCII)) return 0; // toUpperCase of a non-ASCII letter is Unicode's
    for (let i = a; i < b; i++) {
      store<u8>(at, upperUnit(unitAt(wordUnits, i)));
      at++;
    }
    return at;
  }
  if (pattern == CASE_TITLE && b > a) {
    const c = unitAt(wordUnits, a);
    if (c > 127) return 0; // a non-ASCII first letter: Unicode's mapping, by code point
    store<u8>(at++, upperUnit(c));
    return utf8Of(at, wordUnits, a + 1, b);
  }
  return utf8Of(at, wordUnits, a, b);
}

/** Each byte of `bytes` from "a" to "z" made upper case. */
function upperBytes(bytes: u64): u64 {
  const v = i64x2.splat(<i64>bytes);
  const isLower = i8x16.lt_u(i8x16.sub(v, i8x16.splat(97)), i8x16.splat(26));
  return <u64>i64x2.extract_lane(i8x16.sub(v, v128.and(isLower, i8x16.splat(0x20))), 0);
}

/**
 * Widens the UTF-8 bytes[0, n) (TextEncoder's output: well formed) to UTF-16 units
 * at `units`; returns how many, or -1 when the text holds a character beyond the
 * BMP or U+FFFD, which is what the encoder makes of a lone surrogate (such texts
 * stay with the host, which can tell them apart). Eight ASCII bytes at a time.
 */
export function textLoad(bytes: usize, n: i32, units: usize): i32 {
  let i = 0;
  let u: usize = units;
  while (i < n) {
    if (i + 8 <= n && (load<u64>(bytes + <usize>i) & 0x8080808080808080) == 0) {
      v128.store(u, i16x8.extend_low_i8x16_u(v128.load64_zero(bytes + <usize>i)));
      i += 8;
      u += 16;
      continue;
    }
    const b0 = <u32>load<u8>(bytes + <usize>i);
    let c: u32;
    if (b0 < 0x80) {
      c = b0;
      i++;
    } else if (b0 < 0xe0) {
      c = ((b0 & 31) << 6) | ((<u32>load<u8>(bytes + <usize>(i + 1))) & 63);
      i += 2;
    } else if (b0 < 0xf0) {
      c = ((b0 & 15) << 12) | (((<u32>load<u8>(bytes + <usize>(i + 1))) & 63) << 6) | ((<u32>load<u8>(bytes + <usize>(i + 2))) & 63);
      if (c == 0xfffd) return -1;
      i += 3;
    } else return -1; // four bytes: a surrogate pair
    store<u16>(u, <u16>c);
    u += 2;
  }
  return <i32>((u - units) >> 1);
}
