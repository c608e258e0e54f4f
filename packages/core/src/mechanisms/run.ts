// Dispatch from options to a mechanism, with validation done before any
// randomness is drawn (a refused call releases nothing).
import type { AsyncKernels, Backend } from "../backends/backend.js";
import type { Embedding } from "../embeddings/embedding.js";
import { exponentialLaw, exponentialMechanism } from "./exponential.js";
import { laplaceMechanism, laplacePoints } from "./laplace.js";
import { OutputLaw } from "./law.js";
import { checkOptions, MECHANISM_INFO, type MechanismOptions } from "./options.js";
import { DEFAULT_BETA, temLaw, temMechanism, temNeedsRow, temRadius } from "./tem.js";
import { calibrateGumbel, gumbelLaw, gumbelMechanism, type GumbelCalibration } from "./truncated-gumbel.js";
import { DEFAULT_MAHALANOBIS_LAMBDA, mahalanobisFactors, mahalanobisMechanism, mahalanobisPoints, type MahalanobisFactors } from "./mahalanobis.js";
import { DEFAULT_VICKREY_T, vickreyChoose } from "./vickrey.js";
import { DEFAULT_SANTEXT_P, DEFAULT_SANTEXT_S, santextLaw, santextMechanism } from "./santext.js";
import { custextLaw, custextMechanism } from "./custext.js";
import { DEFAULT_LIST_RADIUS, diffractorLaw, diffractorMechanism } from "./diffractor.js";
import { laplaceRankMechanism, rankConstant, rankOutputs } from "./laplace-rank.js";
import { DEFAULT_GROUP_SIZE } from "../embeddings/derived.js";
import { STOPWORDS } from "../text/stopwords.js";

/** A mechanism's options made ready: defaults filled, calibrations and pack-derived structures computed. */
export type Prepared = (
  | { kind: "laplace"; epsilon: number }
  | { kind: "exponential"; epsilon: number }
  | { kind: "tem"; epsilon: number; beta: number }
  | { kind: "gumbel"; epsilon: number; cal: GumbelCalibration }
  | { kind: "mahalanobis"; epsilon: number; factors: MahalanobisFactors }
  | { kind: "vickrey"; epsilon: number; t: number; factors: MahalanobisFactors | null }
  | { kind: "santext"; epsilon: number; s: number; p: number }
  | { kind: "custext"; epsilon: number; groupSize: number }
  | { kind: "diffractor"; epsilon: number; variant: "geometric" | "list-tem"; radius: number }
  | { kind: "laplace-rank"; epsilon: number; c: number }
) & { keepStopwords?: boolean };

/** The outputs, and the positions whose output is not protected (SanText+'s kept words, kept stopwords). */
export interface Privatized {
  out: Int32Array;
  unprotected: Uint8Array | null;
}

/**
 * One mechanism as the dispatch sees it: its options made ready (calibrated,
 * defaults filled), the ids privatized, the work an asynchronous backend can
 * batch first (optional), and the exact output law (null where none is known).
 */
interface MechanismSteps<P extends Prepared> {
  prepare(e: Embedding, o: MechanismOptions): P;
  privatize(backend: Backend, ids: Int32Array, p: P): Int32Array | Privatized;
  privatizeAsync?(backend: Backend, k: AsyncKernels, ids: Int32Array, p: P): Promise<Int32Array | Privatized>;
  law(backend: Backend, w: number, p: P): OutputLaw | null;
}

type Steps = { [K in Prepared["kind"]]: MechanismSteps<Extract<Prepared, { kind: K }>> };

/** Every mechanism, in one place: adding one means an entry here (and its name in options.ts). */
const MECHANISM_STEPS: Steps = {
  laplace: {
    prepare: (_e, o) => ({ kind: "laplace", epsilon: o.epsilon }),
    privatize: (b, ids, p) => laplaceMechanism(b, ids, p.epsilon),
    // M1's nearest words for every token in one dispatch.
    privatizeAsync: (b, k, ids, p) => k.nearestWords(laplacePoints(b, ids, p.epsilon), ids.length),
    law: () => null,
  },
  exponential: {
    prepare: (_e, o) => ({ kind: "exponential", epsilon: o.epsilon }),
    privatize: (b, ids, p) => exponentialMechanism(b, ids, p.epsilon),
    privatizeAsync: (b, k, ids, p) => withPrefetchedRows(b, k, ids, p, [...new Set(ids)]),
    law: (b, w, p) => exponentialLaw(b, w, p.epsilon),
  },
  tem: {
    prepare: (_e, o) => ({ kind: "tem", epsilon: o.epsilon, beta: o.beta ?? DEFAULT_BETA }),
    privatize: (b, ids, p) => temMechanism(b, ids, p.epsilon, p.beta),
    privatizeAsync: (b, k, ids, p) => {
      const gamma = temRadius(b.embedding.n, p.epsilon, p.beta);
      return withPrefetchedRows(
        b,
        k,
        ids,
        p,
        [...new Set(ids)].filter((w) => temNeedsRow(b, w, gamma)),
      );
    },
    law: (b, w, p) => temLaw(b, w, p.epsilon, p.beta),
  },
  gumbel: {
    prepare: (e, o) => ({
      kind: "gumbel",
      epsilon: o.epsilon,
      cal: calibrateGumbel(e, o.epsilon, { ...(o.scale !== undefined && { scale: o.scale }), ...(o.lambda !== undefined && { lambda: o.lambda }) }),
    }),
    privatize: (b, ids, p) => gumbelMechanism(b, ids, p.cal),
    law: (b, w, p) => gumbelLaw(b, w, p.cal),
  },
  mahalanobis: {
    prepare: (e, o) => ({ kind: "mahalanobis", epsilon: o.epsilon, factors: mahalanobisFactors(e, o.lambda ?? DEFAULT_MAHALANOBIS_LAMBDA) }),
    privatize: (b, ids, p) => mahalanobisMechanism(b, ids, p.epsilon, p.factors),
    privatizeAsync: (b, k, ids, p) => k.nearestWords(mahalanobisPoints(b, ids, p.epsilon, p.factors), ids.length),
    law: () => null,
  },
  vickrey: {
    prepare: (e, o) => ({
      kind: "vickrey",
      epsilon: o.epsilon,
      t: o.t ?? DEFAULT_VICKREY_T,
      factors: o.base === "mahalanobis" ? mahalanobisFactors(e, o.lambda ?? DEFAULT_MAHALANOBIS_LAMBDA) : null,
    }),
    privatize: (b, ids, p) => vickreyChoose(b, vickreyPoints(b, ids, p), ids.length, p.t),
    law: () => null,
  },
  santext: {
    prepare: (_e, o) => ({ kind: "santext", epsilon: o.epsilon, s: o.s ?? DEFAULT_SANTEXT_S, p: o.p ?? DEFAULT_SANTEXT_P }),
    privatize: (b, ids, p) => santextMechanism(b, ids, p.epsilon, p.s, p.p),
    privatizeAsync: (b, k, ids, p) => withPrefetchedRows(b, k, ids, p, [...new Set(ids)]),
    law: (b, w, p) => santextLaw(b, w, p.epsilon, p.s, p.p),
  },
  custext: {
    prepare: (_e, o) => ({ kind: "custext", epsilon: o.epsilon, groupSize: o.groupSize ?? DEFAULT_GROUP_SIZE }),
    privatize: (b, ids, p) => custextMechanism(b, ids, p.epsilon, p.groupSize),
    law: (b, w, p) => custextLaw(b, w, p.epsilon, p.groupSize),
  },
  diffractor: {
    prepare: (_e, o) => ({ kind: "diffractor", epsilon: o.epsilon, variant: o.variant ?? "geometric", radius: o.radius ?? DEFAULT_LIST_RADIUS }),
    privatize: (b, ids, p) => diffractorMechanism(b, ids, p.epsilon, p.variant, p.radius),
    law: (b, w, p) => diffractorLaw(b, w, p.epsilon, p.variant, p.radius),
  },
  "laplace-rank": {
    prepare: (e, o) => ({ kind: "laplace-rank", epsilon: o.epsilon, c: rankConstant(e, o.c) }),
    privatize: (b, ids, p) => laplaceRankMechanism(b, ids, p.epsilon, p.c),
    // The pivots (M1's nearest words) for every token in one dispatch, then the ranks: the same draws in the same order.
    privatizeAsync: async (b, k, ids, p) => rankOutputs(b, await k.nearestWords(laplacePoints(b, ids, p.epsilon), ids.length), p.epsilon, p.c),
    law: () => null,
  },
};

/** M6's noisy points: M1's, or M5's with `base: "mahalanobis"`. */
function vickreyPoints(b: Backend, ids: Int32Array, p: Extract<Prepared, { kind: "vickrey" }>): Float64Array {
  return p.factors ? mahalanobisPoints(b, ids, p.epsilon, p.factors) : laplacePoints(b, ids, p.epsilon);
}

/** The steps of the mechanism `p` was prepared for (the table is keyed by kind, so the types match). */
function stepsOf<P extends Prepared>(kind: P["kind"]): MechanismSteps<P> {
  return MECHANISM_STEPS[kind] as unknown as MechanismSteps<P>;
}

/** Checks the options (before any randomness is drawn) and prepares the mechanism's parameters. */
export function prepare(e: Embedding, o: MechanismOptions): Prepared {
  checkOptions(o);
  // SanText with s = 1 resamples every word over the whole vocabulary: that is M2, run as M2.
  const steps = o.mechanism === "santext" && o.s === 1 ? stepsOf("exponential") : stepsOf(o.mechanism);
  return { ...steps.prepare(e, o), ...(o.keep === "stopwords" && { keepStopwords: true }) };
}

/** Privatizes each word id with the prepared mechanism. */
export function privatizeIds(backend: Backend, ids: Int32Array, p: Prepared): Int32Array {
  return privatizeDetailed(backend, ids, p).out;
}

/** As `privatizeIds`, with the positions whose output is unprotected (null when every one is protected). */
export function privatizeDetailed(backend: Backend, ids: Int32Array, p: Prepared): Privatized {
  const split = splitStopwords(backend.embedding, ids, p);
  const inner = split.rest.length ? asPrivatized(stepsOf<Prepared>(p.kind).privatize(backend, split.rest, p)) : { out: split.rest, unprotected: null };
  return mergeKept(ids, split.kept, inner);
}

function asPrivatized(x: Int32Array | Privatized): Privatized {
  return x instanceof Int32Array ? { out: x, unprotected: null } : x;
}

/**
 * docs/mechanisms.md, "Keeping stopwords": with `keep: "stopwords"`, stopword
 * positions pass unchanged and unprotected, and the mechanism runs on the rest
 * (in order, so its draws are those of the text without the stopwords).
 */
function splitStopwords(e: Embedding, ids: Int32Array, p: Prepared): { kept: Uint8Array | null; rest: Int32Array } {
  if (!p.keepStopwords) return { kept: null, rest: ids };
  const kept = Uint8Array.from(ids, (w) => (STOPWORDS.has(e.words[w]!) ? 1 : 0));
  return { kept, rest: ids.filter((_w, i) => !kept[i]) };
}

/** The mechanism's outputs for the non-kept positions put back between the kept stopwords. */
function mergeKept(ids: Int32Array, kept: Uint8Array | null, inner: Privatized): Privatized {
  if (!kept) return inner;
  const out = Int32Array.from(ids);
  const unprotected = Uint8Array.from(kept);
  for (let i = 0, k = 0; i < ids.length; i++) {
    if (kept[i]) continue;
    out[i] = inner.out[k]!;
    if (inner.unprotected?.[k]) unprotected[i] = 1;
    k++;
  }
  return { out, unprotected };
}

/**
 * As `privatizeIds`, with an asynchronous backend's whole-batch kernels (WebGPU)
 * run first: M1's nearest words for every token in one dispatch, and the distance
 * rows M2 and M3 need. Same random draws, in the same order, as `privatizeIds`.
 */
export async function privatizeIdsAsync(backend: Backend, ids: Int32Array, p: Prepared): Promise<Int32Array> {
  return (await privatizeDetailedAsync(backend, ids, p)).out;
}

/** As `privatizeDetailed`, with an asynchronous backend's whole-batch kernels run first. */
export async function privatizeDetailedAsync(backend: Backend, ids: Int32Array, p: Prepared): Promise<Privatized> {
  const k = backend.async;
  const batched = stepsOf<Prepared>(p.kind).privatizeAsync;
  const split = splitStopwords(backend.embedding, ids, p);
  if (!k || k.lost || split.rest.length === 0 || !batched) return privatizeDetailed(backend, ids, p);
  return mergeKept(ids, split.kept, asPrivatized(await batched(backend, k, split.rest, p)));
}

/** The distance rows of `rows` computed in one dispatch, then the ordinary sampler reading them. */
async function withPrefetchedRows(backend: Backend, k: AsyncKernels, ids: Int32Array, p: Prepared, rows: number[]): Promise<Privatized> {
  if (rows.length) await k.prefetchRows(Int32Array.from(rows));
  try {
    return asPrivatized(stepsOf<Prepared>(p.kind).privatize(backend, ids, p));
  } finally {
    k.releaseRows();
  }
}

/** The exact output law, where it is known (M2, M3, M4, M7, M8, M9); null for M1, M5, M6, M10. A kept stopword's law is its own word. */
export function exactLaw(backend: Backend, w: number, p: Prepared): OutputLaw | null {
  const e = backend.embedding;
  if (p.keepStopwords && STOPWORDS.has(e.words[w]!)) return new OutputLaw(Int32Array.of(w), Float64Array.of(1), e.n);
  return stepsOf<Prepared>(p.kind).law(backend, w, p);
}

/**
 * The guarantee of a prepared setting in words, with its numbers where they
 * depend on the setting: M5 (and M6 on M5's noise) per unit of d_RM and, at
 * most, per unit of Euclidean distance, ε/√(1 − λ); the others as MECHANISM_INFO states them.
 */
export function guaranteeOf(p: Prepared): string {
  const factors = p.kind === "mahalanobis" || p.kind === "vickrey" ? p.factors : null;
  const base = p.kind === "vickrey" ? "M5's (its base): " : "";
  const text = factors
    ? `${base}epsilon-metric-DP in d_RM with epsilon ${p.epsilon}; at most ${(p.epsilon / Math.sqrt(1 - factors.lambda)).toPrecision(4)} per unit of Euclidean distance (lambda ${factors.lambda})`
    : MECHANISM_INFO[p.kind].guarantee;
  return p.keepStopwords ? `${text}; stopwords sent unprotected` : text;
}
