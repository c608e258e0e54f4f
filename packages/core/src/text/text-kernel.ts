// What perturb() asks of a backend that handles text itself (WebAssembly:
// assembly/text.ts through backends/wasm-text.ts). The answers are those of the
// JavaScript path in perturb.ts, tokenize.ts and word-index.ts, only faster; a
// kernel may decline any text (null), and the JavaScript path then runs.

/** A text's word-like segments, their kinds and the vocabulary ids among them. */
export interface ScannedText {
  spans: { starts: Int32Array; ends: Int32Array; count: number };
  /** Per segment: 1 for a vocabulary word, 0 for any other (perturb.ts KNOWN and UNKNOWN). */
  kind: Uint8Array;
  /** The vocabulary words' ids, in order. */
  ids: Int32Array;
}

/** A backend's own pass over a text, in and out. */
export interface TextKernel {
  /**
   * The word spans of `text` (exactly `wordSpans`), each looked up as
   * `AsciiWordIndex.idOf` would, or null when the kernel does not take this text
   * (it takes all-ASCII texts).
   */
  scan(text: string): ScannedText | null;
  /**
   * The output of the text last scanned, as perturb.ts's spliceWords(outputsOf)
   * writes it: `outIds` (one per vocabulary word, in order) in each source
   * word's case, other words kept (`keep`) or replaced by `placeholder`. Null when
   * `text` is not the text last scanned or a word needs Unicode's case mapping.
   */
  write(text: string, outIds: Int32Array, keep: boolean, placeholder: string): string | null;
}
