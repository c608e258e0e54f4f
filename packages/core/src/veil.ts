import type { Backend } from "./backends/backend.js";
import { selectBackend, type BackendOptions, type BackendPreference } from "./backends/registry.js";
import { afterDeviceLoss, type BackendReport } from "./backends/preference.js";
import { buildNeighbourTableAsync, withNeighbourTable } from "./embeddings/neighbour-table.js";
import { hasTable, type Embedding } from "./embeddings/embedding.js";
import { readPack } from "./embeddings/pack-reader.js";
import { EmbeddingFormatError, InvalidOptionError, MissingPackError, UnknownWordError } from "./errors.js";
import type { OutputLaw } from "./mechanisms/law.js";
import { checkMechanism, type MechanismName, type MechanismOptions } from "./mechanisms/options.js";
import { exactLaw, prepare, privatizeIds, privatizeIdsAsync } from "./mechanisms/run.js";
import { gumbelMinEpsilon } from "./mechanisms/truncated-gumbel.js";
import type { RandomSource } from "./random/source.js";
import { wordStats, type WordStats } from "./stats/privacy-stats.js";
import { corpusPrior, reconstructionRate, type AttackOptions, type AttackResult } from "./stats/attack.js";
import { realizedPrivacy, type RealizedPrivacy } from "./stats/realized-privacy.js";
import { perturbText, perturbTextAsync, perturbTexts, type PerturbOptions, type PerturbResult } from "./text/perturb.js";
import { lookupKey } from "./text/tokenize.js";

/** What `createVeil` needs: the pack (bytes, a URL, `{ url, sha256 }` as @veil/pack-en-50k gives it, or an embedding already read), and how to run. */
export interface CreateVeilOptions {
  /**
   * The embedding pack: its bytes (validated), an already-read Embedding, or
   * where it is, `{ url, sha256? }` (a file: URL is read from disk in Node, any
   * other is fetched), as `@veil/pack-en-50k` gives it; with `sha256` another pack is refused.
   */
  pack: Uint8Array | ArrayBuffer | Embedding | PackSource;
  /** "auto" (default) tries WebGPU on a hardware adapter, then WebAssembly, then plain TypeScript. */
  backend?: BackendPreference;
  /** Where veil.wasm is, if not beside the package's JS. */
  wasmUrl?: URL | string | BufferSource;
  /** WebGPU options (the GPU object in Node, a binding-size cap, a device-loss callback). */
  webgpu?: BackendOptions["webgpu"];
  /** Width of the neighbour table built at load when the pack has none (default 64). */
  neighbours?: number;
  /** Progress of the neighbour-table build (rows done of total). */
  onIndexProgress?: (done: number, total: number) => void;
}

/** The neighbour-table width built at load for a pack that has none (docs/mechanisms.md, M4 step 3). */
export const DEFAULT_TABLE_WIDTH = 64;

/** Internal hook for `@veil/core/testing`; not part of the public API. */
export const INTERNAL = Symbol("veil.internal");

/** A loaded Veil: one pack, one compute backend. */
export class Veil {
  #seeded = false;
  private constructor(
    readonly embedding: Embedding,
    private readonly impl: Backend,
    private readonly chosen: BackendReport,
    /** Seconds spent building the neighbour table at load (0 when the pack has one). */
    readonly tableBuildSeconds: number,
  ) {}

  static async create(o: CreateVeilOptions): Promise<Veil> {
    if (!o || o.pack === undefined || o.pack === null) throw new MissingPackError("No embedding pack was given.");
    let e = o.pack instanceof Uint8Array || o.pack instanceof ArrayBuffer ? await readPack(o.pack) : "url" in o.pack ? await readPackSource(o.pack) : o.pack;
    const bo: BackendOptions = { ...(o.wasmUrl !== undefined && { wasm: o.wasmUrl }), ...(o.webgpu && { webgpu: o.webgpu }) };
    let choice = await selectBackend(e, o.backend ?? "auto", bo);
    let seconds = 0;
    if (!hasTable(e)) {
      // The pack has no table: build the exact one now on the chosen backend, then
      // start that backend again on the completed embedding.
      const width = o.neighbours ?? DEFAULT_TABLE_WIDTH;
      if (!(Number.isInteger(width) && width >= 1)) throw new InvalidOptionError(`neighbours must be a positive integer, got ${width}.`);
      const t0 = performance.now();
      const table = await buildNeighbourTableAsync(choice.backend, width, o.onIndexProgress);
      seconds = (performance.now() - t0) / 1000;
      choice.backend.dispose();
      e = withNeighbourTable(e, table);
      const again = await selectBackend(e, choice.backend.name, bo);
      choice = { ...again, reason: choice.reason, failures: choice.failures };
    }
    return new Veil(e, choice.backend, { name: choice.backend.name, reason: choice.reason, failures: choice.failures }, seconds);
  }

  /** Which backend runs and why it was chosen (WebAssembly once a WebGPU device is lost). */
  get backend(): BackendReport {
    const lost = this.impl.async?.lost;
    return lost ? afterDeviceLoss(this.chosen, lost) : this.chosen;
  }

  /** Rewrites `text` word by word with a differentially private mechanism. */
  perturb(text: string, options: PerturbOptions): PerturbResult {
    return perturbText(this.impl, text, options, this.#seeded);
  }

  /**
   * Rewrites each text as `perturb` would (same mechanism, same law, every word
   * drawn independently) and returns the output texts only: for corpora of short
   * records, where one `perturb` per record and its word results cost more than
   * the mechanism. An empty text stays empty. A text that is not a string or is
   * longer than `MAX_TEXT_LENGTH` is a `BatchTextError` with its `index`, before
   * any randomness is drawn.
   */
  perturbBatch(texts: readonly string[], options: PerturbOptions): string[] {
    return perturbTexts(this.impl, texts, options);
  }

  /**
   * As `perturb`, using the backend's whole-text kernels when it has them (WebGPU:
   * M1's nearest words and M2/M3's distance rows in one dispatch). Same law.
   */
  perturbAsync(text: string, options: PerturbOptions): Promise<PerturbResult> {
    return perturbTextAsync(this.impl, text, options, this.#seeded);
  }

  /** As `privatizeIds`, with the backend's whole-batch kernels. */
  async privatizeIdsAsync(ids: Int32Array, options: MechanismOptions): Promise<Int32Array> {
    const p = prepare(this.embedding, options);
    this.checkIds(ids);
    return privatizeIdsAsync(this.impl, ids, p);
  }

  /** The exact nearest vocabulary word to each of `count` points (count*d values), ties to the lower id. */
  async nearestWords(points: Float64Array | Float32Array, count = points.length / this.embedding.d): Promise<Int32Array> {
    const d = this.embedding.d;
    if (!(Number.isInteger(count) && count >= 0 && points.length >= count * d))
      throw new InvalidOptionError(`points must hold count*d = ${count}*${d} numbers, got ${points.length}.`);
    const p = Float64Array.from(points.subarray(0, count * d));
    if (!p.every(Number.isFinite)) throw new InvalidOptionError("points must be finite numbers.");
    const k = this.impl.async;
    return k && !k.lost ? k.nearestWords(p, count) : this.impl.nearestWords(p, count);
  }

  /** Word w's `k` nearest other words from the neighbour table, with exact distances. */
  neighbours(word: string, k = 10): { word: string; distance: number }[] {
    const w = this.requireWord(word);
    const kk = Math.min(Math.max(0, Math.floor(k)), this.embedding.K);
    const d = this.impl.neighbourDistances(w, kk);
    return Array.from({ length: kk }, (_, j) => ({ word: this.embedding.words[this.embedding.neighbours![w * this.embedding.K + j]!]!, distance: d[j]! }));
  }

  private checkIds(ids: Int32Array): void {
    for (const w of ids)
      if (!(w >= 0 && w < this.embedding.n)) throw new InvalidOptionError(`word id ${w} is outside the vocabulary [0, ${this.embedding.n}).`);
  }

  /** Privatizes vocabulary words given as ids (batch use); returns output ids. */
  privatizeIds(ids: Int32Array, options: MechanismOptions): Int32Array {
    const p = prepare(this.embedding, options);
    this.checkIds(ids);
    return privatizeIds(this.impl, ids, p);
  }

  /** The vocabulary id of a word (case-insensitive), or undefined. */
  wordId(word: string): number | undefined {
    return this.embedding.index.get(lookupKey(word));
  }

  private requireWord(word: string): number {
    const id = this.wordId(word);
    if (id === undefined)
      throw new UnknownWordError(`That word is not in the pack's vocabulary (${this.embedding.n} words); statistics exist only for vocabulary words.`);
    return id;
  }

  /** N_w and S_w by sampling (`samples` draws), and exactly where the law is known. */
  stats(word: string, options: MechanismOptions, { samples = 1000, top = 10 }: { samples?: number; top?: number } = {}): WordStats {
    if (!(Number.isInteger(samples) && samples >= 1 && samples <= 10_000_000))
      throw new InvalidOptionError(`samples must be an integer in [1, 10^7], got ${samples}.`);
    return wordStats(this.impl, this.requireWord(word), prepare(this.embedding, options), samples, top);
  }

  /** The exact output law of M2-M4 or M7-M9 for a word (null for M1, M5, M6 and M10, whose laws have no closed form). */
  law(word: string, options: MechanismOptions): OutputLaw | null {
    return exactLaw(this.impl, this.requireWord(word), prepare(this.embedding, options));
  }

  /**
   * Realized privacy of `word` against each of its `k` nearest neighbours, from the
   * exact laws (M2-M4, M7-M9; null for M1, M5, M6, M10): see stats/realized-privacy.ts.
   */
  realizedPrivacy(word: string, options: MechanismOptions, k = 5): ({ word: string; distance: number } & RealizedPrivacy)[] | null {
    const w = this.requireWord(word);
    const p = prepare(this.embedding, options);
    const law = exactLaw(this.impl, w, p);
    if (!law) return null;
    return this.neighbours(word, k).map((nb) => {
      const other = exactLaw(this.impl, this.embedding.index.get(nb.word)!, p)!;
      return { ...nb, ...realizedPrivacy(law, other, nb.distance) };
    });
  }

  /**
   * How often the Bayes-optimal attacker recovers a word from its privatized
   * output, at one mechanism and setting: exact for M2-M4 and M7-M9, sampled for M1, M5, M6, M10
   * (stats/attack.ts; docs/attack.md). Throws InvalidOptionError on a bad prior or option.
   */
  attack(options: MechanismOptions, attack: AttackOptions = {}): AttackResult {
    return reconstructionRate(this.impl, prepare(this.embedding, options), attack);
  }

  /** A corpus prior for `attack`: each vocabulary word's count among the in-vocabulary tokens of `texts`. */
  corpusPrior(texts: Iterable<string>): Float64Array {
    return corpusPrior(this.embedding.index, this.embedding.n, texts);
  }

  /** The smallest epsilon a mechanism accepts on this pack (exclusive for M4; 0 otherwise). */
  minEpsilon(mechanism: MechanismName): number {
    return checkMechanism(mechanism) === "gumbel" ? gumbelMinEpsilon(this.embedding) : 0;
  }

  [INTERNAL](): { backend: Backend; setRandomSource(s: RandomSource): void } {
    return {
      backend: this.impl,
      setRandomSource: (s: RandomSource) => {
        this.impl.setRandomSource(s);
        this.#seeded = s.seeded;
      },
    };
  }

  dispose(): void {
    this.impl.dispose();
  }
}

/** Where a pack is, and optionally the SHA-256 it must have (hex, as its header records it). */
export interface PackSource {
  url: string | URL;
  sha256?: string;
}

/** Reads and verifies a pack from a file: URL (Node) or any URL fetch can read. */
async function readPackSource(source: PackSource): Promise<Embedding> {
  const url = new URL(source.url);
  let bytes: Uint8Array;
  if (url.protocol === "file:") {
    // Hidden from bundlers, as in wasm-module.ts: this branch only runs in Node, and a browser build must not pull in node:fs.
    const spec = "node:fs/promises";
    const fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ spec)) as typeof import("node:fs/promises");
    bytes = await fs.readFile(url);
  } else {
    const res = await fetch(url);
    if (!res.ok) throw new MissingPackError(`the pack at ${url.href} could not be read (HTTP ${res.status}).`);
    bytes = new Uint8Array(await res.arrayBuffer());
  }
  const e = await readPack(bytes, { adopt: true }); // the bytes are this function's own
  if (source.sha256 && e.sha256 !== source.sha256.toLowerCase())
    throw new EmbeddingFormatError("unexpected-pack", `its SHA-256 is ${e.sha256}, but ${source.sha256} was expected`);
  return e;
}

/**
 * Reads and verifies the pack, starts the best backend that works here (WebGPU,
 * WebAssembly SIMD, plain JS; see `backend.reason`), and returns a ready Veil.
 * Throws `MissingPackError`, `EmbeddingFormatError` (a damaged or unexpected
 * pack, with a `reason`), `InvalidOptionError` or `BackendUnavailableError`.
 */
export function createVeil(o: CreateVeilOptions): Promise<Veil> {
  return Veil.create(o);
}

export type { WordStats, PerturbResult, PerturbOptions, AttackOptions, AttackResult };
