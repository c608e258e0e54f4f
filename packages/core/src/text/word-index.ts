// Looking a word up straight from the text, without cutting it out first. The
// pack's index is a Map from lower-case words to ids; using it costs a slice of
// the text, a lower-cased copy when the word has capitals, and hashing that new
// string: most of what perturb() spends per word outside the mechanism (CPU
// profile of M4 on 1 MB of SST-2). For ASCII words, which are most words, this
// open-addressing table hashes the characters where they stand, lower-casing as
// it goes, and compares them with the vocabulary word in place. Anything it
// cannot answer (a non-ASCII character) goes back to the Map, so the answers are
// the Map's (pinned by word-index.test.ts).
import type { Embedding } from "../embeddings/embedding.js";
import { lookupKey } from "./tokenize.js";

/** `lookup`'s answer for a span with a non-ASCII character: ask the Map (with `lookupKey`). */
export const ASK_THE_MAP = -2;
/** `lookup`'s answer for an ASCII word the pack lacks. */
export const NOT_IN_VOCABULARY = -1;

/** The ids of the vocabulary's ASCII words, found from a span of any text, case-insensitively. */
export class AsciiWordIndex {
  private readonly slots: Int32Array;
  private readonly mask: number;
  constructor(private readonly words: readonly string[]) {
    const size = lookupTableSize(words.length);
    this.slots = new Int32Array(size); // id + 1; 0 is empty
    this.mask = size - 1;
    words.forEach((w, id) => {
      if (!isLowerAscii(w)) return; // a key with capitals or non-ASCII is never what an ASCII span lower-cases to
      let at = hashOf(w, 0, w.length) & this.mask;
      while (this.slots[at] !== 0) at = (at + 1) & this.mask;
      this.slots[at] = id + 1;
    });
  }

  /** The id of text[start, end) lower-cased, NOT_IN_VOCABULARY, or ASK_THE_MAP when the span is not all ASCII. */
  lookup(text: string, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c > 127) return ASK_THE_MAP;
      h = Math.imul(h ^ lower(c), 0x01000193);
    }
    for (let at = h & this.mask; ; at = (at + 1) & this.mask) {
      const slot = this.slots[at]!;
      if (slot === 0) return NOT_IN_VOCABULARY;
      if (this.matches(slot - 1, text, start, end)) return slot - 1;
    }
  }

  /**
   * The id of the word text[start, end) as `map` (the pack's index) would give it
   * through `lookupKey`, or NOT_IN_VOCABULARY: found in place when the word is
   * ASCII, through the Map otherwise.
   */
  idOf(text: string, start: number, end: number, map: ReadonlyMap<string, number>): number {
    const id = this.lookup(text, start, end);
    return id !== ASK_THE_MAP ? id : (map.get(lookupKey(text.slice(start, end))) ?? NOT_IN_VOCABULARY);
  }

  private matches(id: number, text: string, start: number, end: number): boolean {
    const w = this.words[id]!;
    if (w.length !== end - start) return false;
    for (let i = 0; i < w.length; i++) if (w.charCodeAt(i) !== lower(text.charCodeAt(start + i))) return false;
    return true;
  }
}

const indexes = new WeakMap<Embedding, AsciiWordIndex>();

/** The embedding's `AsciiWordIndex`, built once (about 10 ms for 50,000 words). */
export function asciiWordIndex(e: Embedding): AsciiWordIndex {
  let index = indexes.get(e);
  if (!index) indexes.set(e, (index = new AsciiWordIndex(e.words)));
  return index;
}

/** FNV-1a over the lower-cased characters of text[start, end) (ASCII). */
function hashOf(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ lower(text.charCodeAt(i)), 0x01000193);
  return h;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** Slots of an open-addressing table for `n` words: a power of two, at most half full (this index's, and assembly/text.ts's). */
export function lookupTableSize(n: number): number {
  let size = 16;
  while (size < n * 2) size *= 2;
  return size;
}

/** Whether `w` is lower-case ASCII: the only words an ASCII span can lower-case to, so the only ones a look-up table of ASCII spans holds. */
export function isLowerAscii(w: string): boolean {
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c > 127 || (c >= 65 && c <= 90)) return false;
  }
  return true;
}
