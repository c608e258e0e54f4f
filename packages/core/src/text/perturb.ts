import type { Backend } from "../backends/backend.js";
import { BatchTextError, EmptyTextError, InvalidOptionError, TextTooLargeError, type VeilError } from "../errors.js";
import { guaranteeOf, privatizeDetailed, privatizeDetailedAsync, prepare, type Prepared, type Privatized } from "../mechanisms/run.js";
import type { MechanismName, MechanismOptions } from "../mechanisms/options.js";
import { applyCase, casePatternAt, lookupKey, wordSpans, type WordSpans } from "./tokenize.js";
import { NOT_IN_VOCABULARY, asciiWordIndex } from "./word-index.js";
import { isStopword } from "./stopwords.js";
import { hasSurrogate } from "./utf16.js";
import { attachColumns, makeColumns, wordFacts, withLazyWords, type WordColumns, type WordFacts } from "./word-columns.js";

/** The largest text `perturb` accepts, in UTF-16 code units. Split longer texts. */
export const MAX_TEXT_LENGTH = 1_000_000;
/** What an out-of-vocabulary word becomes unless `oov: "keep"` (it is never sent as it was). */
export const DEFAULT_PLACEHOLDER = "***";

/** A mechanism and its epsilon (see `MechanismOptions`), and what to do with words the pack does not know. */
export interface PerturbOptions extends MechanismOptions {
  /** Out-of-vocabulary words: "redact" (default) replaces them with `placeholder`; "keep" lets them through, marked unprotected. */
  oov?: "redact" | "keep";
  placeholder?: string;
}

/** One word of a perturbed text: what it was, what it became, and whether it was protected. */
export interface WordResult {
  source: string;
  output: string;
  /** Offset of the source word in the input (UTF-16). */
  start: number;
  inVocabulary: boolean;
  /** False for words sent as they were: see `unprotectedBecause`. */
  protected: boolean;
  /**
   * Why an unprotected word was sent as it was: "out-of-vocabulary" (`oov: "keep"`),
   * "stopword" (`keep: "stopwords"`), or "not-sensitive" (SanText+ kept a
   * non-sensitive word, docs/mechanisms.md, M7). Absent for protected words.
   */
  unprotectedBecause?: "out-of-vocabulary" | "stopword" | "not-sensitive";
  changed: boolean;
  mechanism: MechanismName;
  epsilon: number;
}

/** A perturbed text: the text to send, each word's fate, and the privacy spent. */
export interface PerturbResult {
  text: string;
  words: WordResult[];
  mechanism: MechanismName;
  epsilon: number;
  backend: string;
  /** True when produced with the testing-only seeded generator. */
  seeded: boolean;
  /** M4 only: false when an explicit scale replaced the calibration. */
  calibrated: boolean;
  privacy: {
    /** Vocabulary words perturbed (each spends epsilon per unit of embedding distance). */
    wordsPerturbed: number;
    /** Sum of the perturbed words' epsilons (composition over words). */
    epsilonTotal: number;
    guarantee: string;
  };
}

export function perturbText(backend: Backend, text: string, options: PerturbOptions, seeded: boolean): PerturbResult {
  const job = parseText(backend, text, options);
  return assemble(backend, job, privatizeDetailed(backend, job.ids, forIds(job.prepared)), options, seeded);
}

/** As `perturbText`, with the backend's asynchronous whole-text kernels (WebGPU) when it has them. */
export async function perturbTextAsync(backend: Backend, text: string, options: PerturbOptions, seeded: boolean): Promise<PerturbResult> {
  const job = parseText(backend, text, options);
  return assemble(backend, job, await privatizeDetailedAsync(backend, job.ids, forIds(job.prepared)), options, seeded);
}

/** The setting the ids are privatized with: parseText has already taken the kept stopwords out of them, so the id layer need not look again. */
function forIds(p: Prepared): Prepared {
  return p.keepStopwords ? { ...p, keepStopwords: false } : p;
}

interface TextJob {
  text: string;
  prepared: Prepared;
  spans: WordSpans;
  /** The vocabulary words' ids, in order. */
  ids: Int32Array;
  /** Each word-like segment's kind: KNOWN (a vocabulary word), STOP (a stopword passed as it was, `keep: "stopwords"`) or UNKNOWN. */
  kind: Uint8Array;
  /** The pack's word index (lower-case). */
  index: ReadonlyMap<string, number>;
  /** Found by the backend's text pass, which can then write the output too. */
  scanned: boolean;
}

/** Validates everything (before any randomness is drawn), finds the words, and looks them up. */
function parseText(backend: Backend, text: string, options: PerturbOptions): TextJob {
  checkText(text);
  return findWords(backend, text, prepareText(backend, options));
}

/** The text's own checks: a non-empty string within MAX_TEXT_LENGTH. */
function checkText(text: string): void {
  if (typeof text !== "string") throw new InvalidOptionError("text must be a string.");
  if (text.length === 0) throw new EmptyTextError();
  if (text.length > MAX_TEXT_LENGTH) throw new TextTooLargeError(text.length, MAX_TEXT_LENGTH);
}

/** The options checked and the mechanism prepared, once for any number of texts. */
function prepareText(backend: Backend, options: PerturbOptions): Prepared {
  if (options?.oov !== undefined && options.oov !== "redact" && options.oov !== "keep")
    throw new InvalidOptionError(`oov must be "redact" or "keep", got ${String(options.oov)}.`);
  return prepare(backend.embedding, options); // validates before any randomness is drawn
}

/**
 * The text's word-like segments, each looked up: vocabulary ids in order, and each
 * segment's kind. The backend's own text pass answers when it takes the text (all
 * ASCII on WebAssembly, text/text-kernel.ts); kept stopwords are looked at here.
 */
function findWords(backend: Backend, text: string, prepared: Prepared): TextJob {
  const index = backend.embedding.index;
  const scanned = prepared.keepStopwords === true ? null : (backend.text?.scan(text) ?? null);
  return scanned ? { text, prepared, ...scanned, index, scanned: true } : findWordsHere(backend, text, prepared);
}

/** `findWords` in JavaScript. */
function findWordsHere(backend: Backend, text: string, prepared: Prepared): TextJob {
  const index = backend.embedding.index;
  const fast = asciiWordIndex(backend.embedding);
  const spans = wordSpans(text);
  const ids = new Int32Array(spans.count);
  const kind = new Uint8Array(spans.count);
  const keepStop = prepared.keepStopwords === true;
  let found = 0;
  for (let i = 0; i < spans.count; i++) {
    const start = spans.starts[i]!,
      end = spans.ends[i]!;
    let id: number;
    let isStop = false;
    if (keepStop) {
      const key = lookupKey(text.slice(start, end));
      // A kept stopword passes whether or not the pack has it ("a" and "i" are not in the default pack).
      isStop = isStopword(key);
      id = isStop ? NOT_IN_VOCABULARY : (index.get(key) ?? NOT_IN_VOCABULARY);
    } else id = fast.idOf(text, start, end, index); // in place for ASCII words (word-index.ts)
    kind[i] = id >= 0 ? KNOWN : isStop ? STOP : UNKNOWN;
    if (id >= 0) ids[found++] = id;
  }
  return { text, prepared, spans, ids: ids.subarray(0, found), kind, index, scanned: false };
}

/**
 * Each text rewritten as `perturbText` would, returning the texts only. The texts
 * are joined with a line separator that none of them holds (a word boundary, so
 * the words are those of each text) and rewritten as one text, up to
 * BATCH_GROUP_LENGTH characters at a time (a text longer than that alone): under
 * a seeded stream the outputs are those of `perturbText` on each joined text,
 * split again. An empty text stays empty. A text that is not a string or is too
 * long is a `BatchTextError` naming its index, before any randomness is drawn.
 */
export function perturbTexts(backend: Backend, texts: readonly string[], options: PerturbOptions): string[] {
  if (!Array.isArray(texts)) throw new InvalidOptionError("texts must be an array of strings.");
  texts.forEach((t, i) => {
    try {
      if (t !== "") checkText(t);
    } catch (err) {
      throw new BatchTextError(i, err as VeilError);
    }
  });
  const prepared = prepareText(backend, options);
  const sep = separatorFor(backend.embedding.words, texts, options.placeholder ?? DEFAULT_PLACEHOLDER);
  const rewrite = (t: string): string => {
    const job = findWords(backend, t, prepared);
    const outIds = privatizeDetailed(backend, job.ids, forIds(prepared)).out;
    return outputText(backend, job, outIds, options, () => outputsOf(backend, job, outIds, options)).text;
  };
  if (sep === null) return texts.map((t) => (t === "" ? "" : rewrite(t))); // every separator is taken: one text at a time
  const out: string[] = [];
  for (const group of groupsUpTo(texts, BATCH_GROUP_LENGTH, sep.length)) {
    const joined = group.join(sep);
    for (const t of joined.length === 0 ? [""] : rewrite(joined).split(sep)) out.push(t);
  }
  return out;
}

/**
 * How long a joined text of a batch grows: 32,768 UTF-16 units keeps its strings
 * and arrays in V8's ordinary heap pages; joined texts of 1 MB went to fresh
 * pages each time (veil perturb --input on 30 MB of SST-2: 108,000 page faults
 * against 88,000, and 15% slower on one thread).
 */
const BATCH_GROUP_LENGTH = 32_768;

/**
 * Line separators: each is a word boundary in every text (Unicode's word rules
 * break before and after them), so joining texts with one changes no text's words.
 */
const SEPARATORS = ["\n", "\u2028", "\u2029", "\u000b", "\u000c", "\u0085"];

/** The first separator that no text, no vocabulary word and not the placeholder holds (then splitting the output is exact), or null. */
function separatorFor(vocab: readonly string[], texts: readonly string[], placeholder: string): string | null {
  for (const sep of SEPARATORS) {
    if (placeholder.includes(sep) || vocabularyHolds(vocab, sep)) continue;
    if (!texts.some((t) => t.includes(sep))) return sep;
  }
  return null;
}

const holds = new WeakMap<readonly string[], Map<string, boolean>>();

/** Whether a vocabulary word holds `sep` (a pack may have any word), computed once per vocabulary. */
function vocabularyHolds(vocab: readonly string[], sep: string): boolean {
  let m = holds.get(vocab);
  if (!m) holds.set(vocab, (m = new Map()));
  let h = m.get(sep);
  if (h === undefined) m.set(sep, (h = vocab.some((w) => w.includes(sep))));
  return h;
}

/** Consecutive runs of texts whose joined length stays within `limit`, or one text longer than it. */
function* groupsUpTo(texts: readonly string[], limit: number, sepLength: number): Generator<string[]> {
  let group: string[] = [];
  let length = 0;
  for (const t of texts) {
    if (group.length && length + sepLength + t.length > limit) {
      yield group;
      ((group = []), (length = 0));
    }
    length += (group.length ? sepLength : 0) + t.length;
    group.push(t);
  }
  if (group.length) yield group;
}

const UNKNOWN = 0;
const KNOWN = 1;
const STOP = 2;

/** Word i's text as it stands in the input. */
function sourceOf(job: TextJob, i: number): string {
  return job.text.slice(job.spans.starts[i]!, job.spans.ends[i]!);
}

/**
 * From this many words on, the word results are made when first read: a caller
 * that only sends `text` does not pay for 100,000 objects a long text (JSON,
 * structured clone across the worker boundary, and spread read them). Below
 * it, defining the getter costs more than the objects (measured: short SST-2
 * sentences ran at 20,000 records/s lazily, 48,000 eagerly).
 */
const LAZY_WORDS = 2000;

/** The output text (everything between the words as it was) and each word's result. */
function assemble(backend: Backend, job: TextJob, privatized: Privatized, options: PerturbOptions, seeded: boolean): PerturbResult {
  let outputs: string[] | null = null;
  const outputsNow = (): string[] => (outputs ??= outputsOf(backend, job, privatized.out, options));
  const written = outputText(backend, job, privatized.out, options, outputsNow);
  const result = resultOf(backend, job, written.text, options, seeded);
  // Where the module wrote the text, its case mapping was ASCII's (or none), which keeps a vocabulary word's length:
  // the columns need no output strings (in a worker, making 100,000 of them cost a third of perturb()).
  const lengths = written.byModule ? wordLengths(backend.embedding.words) : null;
  const outputLength: OutputLength = lengths ? (_i, k) => lengths[privatized.out[k]!]! : (i) => outputsNow()[i]!.length;
  attachColumns(result, () => columnsOf(job, outputLength, privatized, options));
  if (job.spans.count < LAZY_WORDS) {
    result.words = wordResults(job, outputsNow(), privatized, options);
    return result;
  }
  return withLazyWords(result, () => wordResults(job, outputsNow(), privatized, options));
}

/**
 * The output text: written by the backend's text pass when it found the words and
 * can write every one (text/text-kernel.ts), else spliced here from `outputs()`.
 */
function outputText(backend: Backend, job: TextJob, outIds: Int32Array, options: PerturbOptions, outputs: () => string[]): { text: string; byModule: boolean } {
  const keep = (options.oov ?? "redact") === "keep";
  const written = job.scanned ? backend.text!.write(job.text, outIds, keep, options.placeholder ?? DEFAULT_PLACEHOLDER) : null;
  return written !== null ? { text: written, byModule: true } : { text: spliceWords(job.text, job.spans, outputs()), byModule: false };
}

/** What each word-like segment becomes: a vocabulary word's output in the source's case, a kept word as it was, or the placeholder. */
function outputsOf(backend: Backend, job: TextJob, outIds: Int32Array, options: PerturbOptions): string[] {
  const { text, spans, kind } = job;
  const vocab = backend.embedding.words;
  const keep = (options.oov ?? "redact") === "keep";
  const placeholder = options.placeholder ?? DEFAULT_PLACEHOLDER;
  const outputs: string[] = new Array(spans.count);
  for (let i = 0, k = 0; i < spans.count; i++)
    outputs[i] =
      kind[i] === KNOWN
        ? applyCase(vocab[outIds[k++]!]!, casePatternAt(text, spans.starts[i]!, spans.ends[i]!))
        : keep || kind[i] === STOP
          ? sourceOf(job, i)
          : placeholder;
  return outputs;
}

/**
 * The text with word i replaced by outputs[i] and everything between the words
 * as it was. Written into one UTF-16 buffer and decoded once: joining an array of
 * 2n + 1 pieces was the largest single cost of a long text's perturb() (CPU
 * profile of M4 on 1 MB of SST-2: about a third of perturb's JavaScript). A text
 * or output with a surrogate takes the join, since a UTF-16 decoder would
 * replace an unpaired one and change what passes through.
 */
function spliceWords(text: string, spans: WordSpans, outputs: readonly string[]): string {
  if (spans.count < 64) return joinWords(text, spans, outputs); // a sentence: the buffer and decoder cost more than they save
  let length = text.length;
  for (let i = 0; i < spans.count; i++) length += outputs[i]!.length - (spans.ends[i]! - spans.starts[i]!);
  const buf = new Uint16Array(length);
  let at = 0,
    prev = 0,
    any = 0;
  // The copies are written out rather than a closure over `at` and `any`, which V8 would keep in a context object.
  for (let i = 0; i < spans.count; i++) {
    const start = spans.starts[i]!;
    for (let j = prev; j < start; j++) any |= buf[at++] = text.charCodeAt(j);
    const o = outputs[i]!;
    for (let j = 0; j < o.length; j++) any |= buf[at++] = o.charCodeAt(j);
    prev = spans.ends[i]!;
  }
  for (let j = prev; j < text.length; j++) any |= buf[at++] = text.charCodeAt(j);
  // `any` ORs every code unit: below 0xD800 means no surrogate at all; otherwise look.
  if (any >= 0xd800 && hasSurrogate(buf)) return joinWords(text, spans, outputs);
  return utf16.decode(buf);
}

const utf16 = new TextDecoder("utf-16le", { ignoreBOM: true }); // a leading U+FEFF is text like any other

/** `spliceWords` by joining the pieces (short texts, and texts with surrogates). */
function joinWords(text: string, spans: WordSpans, outputs: readonly string[]): string {
  const pieces: string[] = [];
  let prev = 0;
  for (let i = 0; i < spans.count; i++) {
    pieces.push(text.slice(prev, spans.starts[i]!), outputs[i]!);
    prev = spans.ends[i]!;
  }
  pieces.push(text.slice(prev));
  return pieces.join("");
}

const lengthsOf = new WeakMap<readonly string[], Int32Array>();

/** Each vocabulary word's length (UTF-16), in one array rather than read from 100,000 scattered strings (a 100,000-word text's columns: 10 ms → 8 ms here). */
function wordLengths(vocab: readonly string[]): Int32Array {
  let l = lengthsOf.get(vocab);
  if (!l) lengthsOf.set(vocab, (l = Int32Array.from(vocab, (w) => w.length)));
  return l;
}

/** The length of word i's output (k: its index among the vocabulary words); only vocabulary words' are asked for. */
type OutputLength = (i: number, k: number) => number;

/** What word i is, apart from its text, into `f` (k: its index among the vocabulary words): what a word result and its columns share. */
function describeWord(job: TextJob, outputLength: OutputLength, privatized: Privatized, options: PerturbOptions, i: number, k: number, f: WordFacts): void {
  const start = job.spans.starts[i]!;
  f.start = start;
  f.length = job.spans.ends[i]! - start;
  if (job.kind[i] === KNOWN) {
    const notSensitive = privatized.unprotected?.[k] === 1;
    f.outputLength = outputLength(i, k);
    f.inVocabulary = true;
    f.protected = !notSensitive;
    f.changed = privatized.out[k] !== job.ids[k];
    f.reason = notSensitive ? "not-sensitive" : null;
  } else if (job.kind[i] === STOP) {
    f.outputLength = f.length; // kept as it is
    f.inVocabulary = job.index.has(lookupKey(sourceOf(job, i)));
    f.protected = f.changed = false;
    f.reason = "stopword";
  } else {
    // Out of the vocabulary: kept as it is, or the placeholder (outputsOf).
    const keep = (options.oov ?? "redact") === "keep";
    const placeholder = options.placeholder ?? DEFAULT_PLACEHOLDER;
    f.outputLength = keep ? f.length : placeholder.length;
    f.inVocabulary = false;
    f.protected = !keep;
    f.changed = !keep && !(placeholder.length === f.length && job.text.startsWith(placeholder, start));
    f.reason = keep ? "out-of-vocabulary" : null;
  }
}

/** Each word's result, from the parsed text and the outputs. */
function wordResults(job: TextJob, outputs: string[], privatized: Privatized, options: PerturbOptions): WordResult[] {
  const { mechanism, epsilon } = options;
  const words: WordResult[] = [];
  const f = wordFacts();
  const outputLength: OutputLength = (i) => outputs[i]!.length;
  for (let i = 0, k = 0; i < job.spans.count; i++) {
    describeWord(job, outputLength, privatized, options, i, k, f);
    if (job.kind[i] === KNOWN) k++;
    // One object literal for every word, so every result has the same shape (V8 keeps them fast).
    const word: WordResult = {
      source: sourceOf(job, i),
      output: outputs[i]!,
      start: f.start,
      inVocabulary: f.inVocabulary,
      protected: f.protected,
      changed: f.changed,
      mechanism,
      epsilon,
    };
    if (f.reason) word.unprotectedBecause = f.reason;
    words.push(word);
  }
  return words;
}

/** The words as columns (word-columns.ts), from the same facts, without a word object. */
function columnsOf(job: TextJob, outputLength: OutputLength, privatized: Privatized, options: PerturbOptions): WordColumns {
  let k = 0;
  return makeColumns(job.spans.count, (i, f) => {
    describeWord(job, outputLength, privatized, options, i, k, f);
    if (job.kind[i] === KNOWN) k++;
  });
}

/** Everything of the result but the words. */
function resultOf(backend: Backend, job: TextJob, text: string, options: PerturbOptions, seeded: boolean): PerturbResult {
  const { ids, prepared } = job;
  return {
    text,
    words: [],
    mechanism: options.mechanism,
    epsilon: options.epsilon,
    backend: backend.async?.lost ? "wasm" : backend.name,
    seeded,
    calibrated: prepared.kind !== "gumbel" || prepared.cal.calibrated,
    privacy: { wordsPerturbed: ids.length, epsilonTotal: ids.length * options.epsilon, guarantee: guaranteeOf(prepared) },
  };
}
