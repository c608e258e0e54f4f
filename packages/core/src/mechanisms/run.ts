// Dispatch from options to a mechanism, with validation done before any
// randomness is drawn (a refused call releases nothing).
import type { AsyncKernels, Backend } from "../backends/backend.js";
import type { Embedding } from "../embeddings/embedding.js";
import { exponentialLaw, exponentialMechanism } from "./exponential.js";
import { laplaceMechanism, laplacePoints } from "./laplace.js";
import type { OutputLaw } from "./law.js";
import { checkOptions, type MechanismOptions } from "./options.js";
import { DEFAULT_BETA, temLaw, temMechanism, temNeedsRow, temRadius } from "./tem.js";
import { calibrateGumbel, gumbelLaw, gumbelMechanism, type GumbelCalibration } from "./truncated-gumbel.js";

export type Prepared =
  | { kind: "laplace"; epsilon: number }
  | { kind: "exponential"; epsilon: number }
  | { kind: "tem"; epsilon: number; beta: number }
  | { kind: "gumbel"; epsilon: number; cal: GumbelCalibration };

/**
 * One mechanism as the dispatch sees it: its options made ready (calibrated,
 * defaults filled), the ids privatized, the work an asynchronous backend can
 * batch first (optional), and the exact output law (null where none is known).
 */
interface MechanismSteps<P extends Prepared> {
  prepare(e: Embedding, o: MechanismOptions): P;
  privatize(backend: Backend, ids: Int32Array, p: P): Int32Array;
  privatizeAsync?(backend: Backend, k: AsyncKernels, ids: Int32Array, p: P): Promise<Int32Array>;
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
};

/** The steps of the mechanism `p` was prepared for (the table is keyed by kind, so the types match). */
function stepsOf<P extends Prepared>(kind: P["kind"]): MechanismSteps<P> {
  return MECHANISM_STEPS[kind] as unknown as MechanismSteps<P>;
}

/** Checks the options (before any randomness is drawn) and prepares the mechanism's parameters. */
export function prepare(e: Embedding, o: MechanismOptions): Prepared {
  checkOptions(o);
  return stepsOf(o.mechanism).prepare(e, o);
}

/** Privatizes each word id with the prepared mechanism. */
export function privatizeIds(backend: Backend, ids: Int32Array, p: Prepared): Int32Array {
  if (ids.length === 0) return new Int32Array(0);
  return stepsOf<Prepared>(p.kind).privatize(backend, ids, p);
}

/**
 * As `privatizeIds`, with an asynchronous backend's whole-batch kernels (WebGPU)
 * run first: M1's nearest words for every token in one dispatch, and the distance
 * rows M2 and M3 need. Same random draws, in the same order, as `privatizeIds`.
 */
export async function privatizeIdsAsync(backend: Backend, ids: Int32Array, p: Prepared): Promise<Int32Array> {
  const k = backend.async;
  const batched = stepsOf<Prepared>(p.kind).privatizeAsync;
  if (!k || k.lost || ids.length === 0 || !batched) return privatizeIds(backend, ids, p);
  return batched(backend, k, ids, p);
}

/** The distance rows of `rows` computed in one dispatch, then the ordinary sampler reading them. */
async function withPrefetchedRows(backend: Backend, k: AsyncKernels, ids: Int32Array, p: Prepared, rows: number[]): Promise<Int32Array> {
  if (rows.length) await k.prefetchRows(Int32Array.from(rows));
  try {
    return privatizeIds(backend, ids, p);
  } finally {
    k.releaseRows();
  }
}

/** The exact output law, where it is known (M2, M3, M4); null for M1. */
export function exactLaw(backend: Backend, w: number, p: Prepared): OutputLaw | null {
  return stepsOf<Prepared>(p.kind).law(backend, w, p);
}
