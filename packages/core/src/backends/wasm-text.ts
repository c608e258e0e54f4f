// The WebAssembly backend's text pass (assembly/text.ts). A text goes into the
// module's memory once, through TextEncoder.encodeInto (in Node about 50 times
// faster than a charCodeAt loop; in Chromium about as fast) and widened there to
// UTF-16 units, so offsets stay the string's; the words of its ASCII stretches
// are found and looked up there, those of any other stretch here through
// Intl.Segmenter (tokenize.ts) and added in order; after the mechanism the output
// is written there as UTF-8 and decoded once. Profiled on M4 over 120,000 words
// of SST-2, the JavaScript path (spans, look-up, case, splice) took about 60% of
// perturb().
import type { Embedding } from "../embeddings/embedding.js";
import type { ScannedText, TextKernel } from "../text/text-kernel.js";
import { casePatternAt, forEachStretch, segmentWithIntl, type CasePattern } from "../text/tokenize.js";
import { asciiWordIndex, isLowerAscii, lookupTableSize } from "../text/word-index.js";
import { hasSurrogate } from "../text/utf16.js";
import type { VeilWasmExports } from "./wasm-module.js";

/** assembly/text.ts's word flags. */
const WORD_ASCII = 1;
const WORD_JS_ONLY = 2;
const WORD_LOOKUP = 4;
/** assembly/text.ts's case patterns. */
const CASE_CODE: Record<CasePattern, number> = { lower: 0, title: 1, upper: 2, other: 3 };

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true }); // a leading U+FEFF is text like any other

/** assembly/text.ts reads and writes eight units at a time: every buffer it reads or writes has this many bytes past its end. */
const WINDOW_SLACK = 16;

/** A named scratch buffer of at least `bytes` in the module's memory (WasmBackend's). */
export type ScratchBuffer = (name: string, bytes: number) => number;

/** `TextKernel` over veil.wasm: see the file's header. */
export class WasmTextKernel implements TextKernel {
  private vocabularyReady = false;
  /** The text whose units and words are in the module now. */
  private last: string | null = null;

  constructor(
    private readonly ex: VeilWasmExports,
    private readonly embedding: Embedding,
    private readonly buf: ScratchBuffer,
  ) {}

  scan(text: string): ScannedText | null {
    this.last = null;
    this.ensureVocabulary();
    const p = this.textBuffers(text.length);
    const ascii = this.load(text, p);
    if (ascii === null) return null;
    this.ex.textScanStart(p.starts, p.ends, p.kinds, p.cases, p.ids);
    if (ascii) this.ex.textScan(p.units, 0, text.length);
    else
      forEachStretch(
        text,
        (from, to) => this.ex.textScan(p.units, from, to),
        (from, to) => segmentWithIntl(text, from, to, (start, end, wordLike) => wordLike && this.addWord(text, start, end)),
      );
    this.last = text;
    return this.scanned(p);
  }

  /**
   * The text into the module as UTF-16 units: whether it is all ASCII, or null when
   * the kernel leaves it to JavaScript (a character beyond the BMP or U+FFFD, since
   * UTF-8 turns a lone surrogate into U+FFFD and the output is written as UTF-8).
   */
  private load(text: string, p: TextBuffers): boolean | null {
    const { read, written } = encoder.encodeInto(text, new Uint8Array(this.ex.memory.buffer, p.bytes, text.length * 3));
    if (read !== text.length) return null; // cannot happen: three bytes a unit always fit
    if (this.ex.textLoad(p.bytes, written, p.units) !== text.length) return null;
    return written === text.length; // one byte a unit: all ASCII
  }

  write(text: string, outIds: Int32Array, keep: boolean, placeholder: string): string | null {
    if (text !== this.last) return null;
    const len = text.length;
    const p = this.textBuffers(len);
    const pIds = this.buf("text.outIds", outIds.byteLength);
    const pPh = this.buf("text.placeholder", placeholder.length * 2 + WINDOW_SLACK);
    new Int32Array(this.ex.memory.buffer, pIds, outIds.length).set(outIds);
    const ph = new Uint16Array(this.ex.memory.buffer, pPh, placeholder.length);
    if (copyUnitsIn(placeholder, ph) >= 0xd800 && hasSurrogate(ph)) return null;
    const k = keep ? 1 : 0;
    const pOut = this.buf("text.out", this.ex.textOutputLength(len, pIds, k, placeholder.length) * 3 + WINDOW_SLACK);
    const n = this.ex.textWrite(p.units, len, pIds, k, pPh, placeholder.length, pOut);
    return n < 0 ? null : utf8.decode(new Uint8Array(this.ex.memory.buffer, pOut, n));
  }

  /** A word of a stretch the segmenter handled: looked up as AsciiWordIndex.idOf does, with its case pattern. */
  private addWord(text: string, start: number, end: number): void {
    const id = asciiWordIndex(this.embedding).idOf(text, start, end, this.embedding.index);
    this.ex.textAddWord(start, end, id, CASE_CODE[casePatternAt(text, start, end)]);
  }

  /** The words found, copied out of the module (the mechanism may reuse its memory). */
  private scanned(p: TextBuffers): ScannedText {
    const count = this.ex.textCount();
    const mem = this.ex.memory.buffer;
    return {
      spans: { starts: new Int32Array(mem, p.starts, count).slice(), ends: new Int32Array(mem, p.ends, count).slice(), count },
      kind: new Uint8Array(mem, p.kinds, count).slice(),
      ids: new Int32Array(mem, p.ids, this.ex.textFound()).slice(),
    };
  }

  /** The text's and its words' buffers for a text of `len` UTF-16 units (a word per unit at most). */
  private textBuffers(len: number): TextBuffers {
    const words = len + 1;
    return {
      bytes: this.buf("text.bytes", len * 3),
      units: this.buf("text.units", len * 2 + WINDOW_SLACK),
      starts: this.buf("text.starts", words * 4),
      ends: this.buf("text.ends", words * 4),
      kinds: this.buf("text.kinds", words),
      cases: this.buf("text.cases", words),
      ids: this.buf("text.ids", words * 4),
    };
  }

  /** Every word's UTF-16 units and flags, copied in once; the module builds its records and look-up table from them. */
  private ensureVocabulary(): void {
    if (this.vocabularyReady) return;
    const words = this.embedding.words;
    const n = words.length;
    const starts = new Int32Array(n + 1);
    words.forEach((w, i) => (starts[i + 1] = starts[i]! + w.length));
    const slotCount = lookupTableSize(n);
    const pUnits = this.buf("text.words", starts[n]! * 2 + WINDOW_SLACK);
    const pStarts = this.buf("text.wordStarts", starts.byteLength);
    const pFlags = this.buf("text.wordFlags", n);
    const pRecords = this.buf("text.wordRecords", n * 16);
    const pSlots = this.buf("text.slots", slotCount * 16);
    const mem = this.ex.memory.buffer;
    new Int32Array(mem, pStarts, starts.length).set(starts);
    new Uint8Array(mem, pSlots, slotCount * 16).fill(0);
    const flags = new Uint8Array(mem, pFlags, n);
    words.forEach((w, i) => {
      const units = new Uint16Array(mem, pUnits + starts[i]! * 2, w.length);
      const any = copyUnitsIn(w, units);
      flags[i] = any < 128 ? WORD_ASCII | (isLowerAscii(w) ? WORD_LOOKUP : 0) : any >= 0xd800 && hasSurrogate(units) ? WORD_JS_ONLY : 0;
    });
    this.ex.textVocabulary(pUnits, pStarts, pFlags, n, pRecords, pSlots, slotCount);
    this.vocabularyReady = true;
  }
}

interface TextBuffers {
  bytes: number;
  units: number;
  cases: number;
  starts: number;
  ends: number;
  kinds: number;
  ids: number;
}

/** `s`'s UTF-16 units into `out`; returns them ORed (below 128: all ASCII; below 0xD800: no surrogate). */
function copyUnitsIn(s: string, out: Uint16Array): number {
  let any = 0;
  for (let i = 0; i < s.length; i++) any |= out[i] = s.charCodeAt(i);
  return any;
}
