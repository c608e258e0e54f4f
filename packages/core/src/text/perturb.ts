import type { Backend } from "../backends/backend.js";
import { EmptyTextError, InvalidOptionError, TextTooLargeError } from "../errors.js";
import { guaranteeOf, privatizeDetailed, privatizeDetailedAsync, prepare, type Prepared, type Privatized } from "../mechanisms/run.js";
import type { MechanismName, MechanismOptions } from "../mechanisms/options.js";
import { applyCase, casePatternAt, lookupKey, wordSpans, type WordSpans } from "./tokenize.js";
import { NOT_IN_VOCABULARY, asciiWordIndex } from "./word-index.js";
import { isStopword } from "./stopwords.js";

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
}

/** Validates everything (before any randomness is drawn), finds the words, and looks them up. */
function parseText(backend: Backend, text: string, options: PerturbOptions): TextJob {
  if (typeof text !== "string") throw new InvalidOptionError("text must be a string.");
  if (text.length === 0) throw new EmptyTextError();
  if (text.length > MAX_TEXT_LENGTH) throw new TextTooLargeError(text.length, MAX_TEXT_LENGTH);
  if (options?.oov !== undefined && options.oov !== "redact" && options.oov !== "keep")
    throw new InvalidOptionError(`oov must be "redact" or "keep", got ${String(options.oov)}.`);
  const prepared: Prepared = prepare(backend.embedding, options); // validates before any randomness is drawn
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
  return { text, prepared, spans, ids: ids.subarray(0, found), kind, index };
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
  const { text, spans, kind } = job;
  const outIds = privatized.out;
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
  const out = spliceWords(text, spans, outputs);
  const result = resultOf(backend, job, out, options, seeded);
  if (spans.count < LAZY_WORDS) {
    result.words = wordResults(job, outputs, privatized, options);
    return result;
  }
  let words: WordResult[] | null = null;
  return Object.defineProperty(result, "words", {
    enumerable: true,
    configurable: true,
    get: () => (words ??= wordResults(job, outputs, privatized, options)),
  });
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
  const copy = (from: string, start: number, end: number) => {
    for (let j = start; j < end; j++) any |= buf[at++] = from.charCodeAt(j);
  };
  for (let i = 0; i < spans.count; i++) {
    copy(text, prev, spans.starts[i]!);
    copy(outputs[i]!, 0, outputs[i]!.length);
    prev = spans.ends[i]!;
  }
  copy(text, prev, text.length);
  // `any` ORs every code unit: below 0xD800 means no surrogate at all; otherwise look.
  if (any >= 0xd800 && buf.some((c) => (c & 0xf800) === 0xd800)) return joinWords(text, spans, outputs);
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

/** Each word's result, from the parsed text and the outputs. */
function wordResults(job: TextJob, outputs: string[], privatized: Privatized, options: PerturbOptions): WordResult[] {
  const { spans, kind, ids } = job;
  const { out: outIds, unprotected } = privatized;
  const keep = (options.oov ?? "redact") === "keep";
  const { mechanism, epsilon } = options;
  const words: WordResult[] = [];
  // One object literal per kind of word, so every result has the same shape (V8 keeps them fast).
  for (let i = 0, k = 0; i < spans.count; i++) {
    const source = sourceOf(job, i);
    const output = outputs[i]!;
    const start = spans.starts[i]!;
    if (kind[i] === KNOWN) {
      const word: WordResult = { source, output, start, inVocabulary: true, protected: true, changed: outIds[k] !== ids[k], mechanism, epsilon };
      if (unprotected?.[k] === 1) ((word.protected = false), (word.unprotectedBecause = "not-sensitive"));
      words.push(word);
      k++;
    } else if (kind[i] === STOP) {
      const inVocabulary = job.index.has(lookupKey(source));
      words.push({ source, output, start, inVocabulary, protected: false, changed: false, mechanism, epsilon, unprotectedBecause: "stopword" });
    } else {
      const word: WordResult = { source, output, start, inVocabulary: false, protected: !keep, changed: output !== source, mechanism, epsilon };
      if (keep) word.unprotectedBecause = "out-of-vocabulary";
      words.push(word);
    }
  }
  return words;
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
