import type { Backend } from "../backends/backend.js";
import { EmptyTextError, InvalidOptionError, TextTooLargeError } from "../errors.js";
import { privatizeIds, privatizeIdsAsync, prepare, type Prepared } from "../mechanisms/run.js";
import { MECHANISM_INFO, type MechanismName, type MechanismOptions } from "../mechanisms/options.js";
import { applyCase, casePattern, lookupKey, tokenize } from "./tokenize.js";

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
  /** False only for out-of-vocabulary words kept with `oov: "keep"`. */
  protected: boolean;
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
  return assemble(backend, job, privatizeIds(backend, job.ids, job.prepared), options, seeded);
}

/** As `perturbText`, with the backend's asynchronous whole-text kernels (WebGPU) when it has them. */
export async function perturbTextAsync(backend: Backend, text: string, options: PerturbOptions, seeded: boolean): Promise<PerturbResult> {
  const job = parseText(backend, text, options);
  return assemble(backend, job, await privatizeIdsAsync(backend, job.ids, job.prepared), options, seeded);
}

interface TextJob {
  prepared: Prepared;
  tokens: ReturnType<typeof tokenize>;
  ids: Int32Array;
  /** Token index of each vocabulary word. */
  slots: number[];
}

/** Validates everything (before any randomness is drawn), tokenizes, and looks the words up. */
function parseText(backend: Backend, text: string, options: PerturbOptions): TextJob {
  if (typeof text !== "string") throw new InvalidOptionError("text must be a string.");
  if (text.length === 0) throw new EmptyTextError();
  if (text.length > MAX_TEXT_LENGTH) throw new TextTooLargeError(text.length, MAX_TEXT_LENGTH);
  if (options?.oov !== undefined && options.oov !== "redact" && options.oov !== "keep")
    throw new InvalidOptionError(`oov must be "redact" or "keep", got ${String(options.oov)}.`);
  const prepared: Prepared = prepare(backend.embedding, options); // validates before any randomness is drawn
  const e = backend.embedding;
  const tokens = tokenize(text);
  const ids: number[] = [];
  const slots: number[] = []; // token index of each vocabulary word
  tokens.forEach((t, i) => {
    if (!t.wordLike) return;
    const id = e.index.get(lookupKey(t.text));
    if (id !== undefined) {
      ids.push(id);
      slots.push(i);
    }
  });
  return { prepared, tokens, ids: Int32Array.from(ids), slots };
}

function assemble(backend: Backend, job: TextJob, outIds: Int32Array, options: PerturbOptions, seeded: boolean): PerturbResult {
  const { tokens, ids, slots, prepared } = job;
  const e = backend.embedding;
  const oov = options.oov ?? "redact";
  const placeholder = options.placeholder ?? DEFAULT_PLACEHOLDER;
  const outText: string[] = tokens.map((t) => t.text);
  const words: WordResult[] = [];
  let k = 0;
  const { mechanism, epsilon } = options;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.wordLike) continue;
    let output: string;
    if (slots[k] === i) {
      output = applyCase(e.words[outIds[k]!]!, casePattern(t.text));
      words.push({ source: t.text, output, start: t.start, inVocabulary: true, protected: true, changed: outIds[k] !== ids[k], mechanism, epsilon });
      k++;
    } else {
      output = oov === "keep" ? t.text : placeholder;
      words.push({ source: t.text, output, start: t.start, inVocabulary: false, protected: oov !== "keep", changed: output !== t.text, mechanism, epsilon });
    }
    outText[i] = output;
  }
  return {
    text: outText.join(""),
    words,
    mechanism: options.mechanism,
    epsilon: options.epsilon,
    backend: backend.async?.lost ? "wasm" : backend.name,
    seeded,
    calibrated: prepared.kind !== "gumbel" || prepared.cal.calibrated,
    privacy: { wordsPerturbed: ids.length, epsilonTotal: ids.length * options.epsilon, guarantee: MECHANISM_INFO[options.mechanism].guarantee },
  };
}
