import type { Backend } from "./backends/backend.js";
import { selectBackend, type BackendPreference } from "./backends/registry.js";
import type { Embedding } from "./embeddings/embedding.js";
import { readPack } from "./embeddings/pack-reader.js";
import { InvalidOptionError, MissingPackError, UnknownWordError } from "./errors.js";
import type { OutputLaw } from "./mechanisms/law.js";
import { checkMechanism, type MechanismName, type MechanismOptions } from "./mechanisms/options.js";
import { exactLaw, prepare, privatizeIds } from "./mechanisms/run.js";
import { gumbelMinEpsilon } from "./mechanisms/truncated-gumbel.js";
import type { RandomSource } from "./random/source.js";
import { wordStats, type WordStats } from "./stats/privacy-stats.js";
import { perturbText, type PerturbOptions, type PerturbResult } from "./text/perturb.js";
import { lookupKey } from "./text/tokenize.js";

export interface CreateVeilOptions {
  /** The embedding pack: its bytes (validated) or an already-read Embedding. */
  pack: Uint8Array | ArrayBuffer | Embedding;
  /** "auto" (default) tries WebAssembly, then plain TypeScript. */
  backend?: BackendPreference;
  /** Where veil.wasm is, if not beside the package's JS. */
  wasmUrl?: URL | string | BufferSource;
}

/** Internal hook for `@veil/core/testing`; not part of the public API. */
export const INTERNAL = Symbol("veil.internal");

/** A loaded Veil: one pack, one compute backend. */
export class Veil {
  #seeded = false;
  private constructor(
    readonly embedding: Embedding,
    private readonly impl: Backend,
    /** Which backend runs and why it was chosen. */
    readonly backend: { name: string; reason: string; failures: Record<string, string> },
  ) {}

  static async create(o: CreateVeilOptions): Promise<Veil> {
    if (!o || o.pack === undefined || o.pack === null) throw new MissingPackError("No embedding pack was given.");
    const e = o.pack instanceof Uint8Array || o.pack instanceof ArrayBuffer ? await readPack(o.pack) : o.pack;
    const choice = await selectBackend(e, o.backend ?? "auto", o.wasmUrl !== undefined ? { wasm: o.wasmUrl } : {});
    return new Veil(e, choice.backend, { name: choice.backend.name, reason: choice.reason, failures: choice.failures });
  }

  /** Rewrites `text` word by word with a differentially private mechanism. */
  perturb(text: string, options: PerturbOptions): PerturbResult {
    return perturbText(this.impl, text, options, this.#seeded);
  }

  /** Privatizes vocabulary words given as ids (batch use); returns output ids. */
  privatizeIds(ids: Int32Array, options: MechanismOptions): Int32Array {
    const p = prepare(this.embedding, options);
    for (const w of ids)
      if (!(w >= 0 && w < this.embedding.n)) throw new InvalidOptionError(`word id ${w} is outside the vocabulary [0, ${this.embedding.n}).`);
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

  /** The exact output law of M2, M3 or M4 for a word (null for M1, whose law has no closed form). */
  law(word: string, options: MechanismOptions): OutputLaw | null {
    return exactLaw(this.impl, this.requireWord(word), prepare(this.embedding, options));
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

export function createVeil(o: CreateVeilOptions): Promise<Veil> {
  return Veil.create(o);
}

export type { WordStats, PerturbResult, PerturbOptions };
