// Dispatch from options to a mechanism, with validation done before any
// randomness is drawn (a refused call releases nothing).
import type { Backend } from "../backends/backend.js";
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

export function prepare(e: Embedding, o: MechanismOptions): Prepared {
  checkOptions(o);
  switch (o.mechanism) {
    case "gumbel":
      return {
        kind: "gumbel",
        epsilon: o.epsilon,
        cal: calibrateGumbel(e, o.epsilon, { ...(o.scale !== undefined && { scale: o.scale }), ...(o.lambda !== undefined && { lambda: o.lambda }) }),
      };
    case "tem":
      return { kind: "tem", epsilon: o.epsilon, beta: o.beta ?? DEFAULT_BETA };
    default:
      return { kind: o.mechanism, epsilon: o.epsilon };
  }
}

export function privatizeIds(backend: Backend, ids: Int32Array, p: Prepared): Int32Array {
  if (ids.length === 0) return new Int32Array(0);
  switch (p.kind) {
    case "laplace":
      return laplaceMechanism(backend, ids, p.epsilon);
    case "exponential":
      return exponentialMechanism(backend, ids, p.epsilon);
    case "tem":
      return temMechanism(backend, ids, p.epsilon, p.beta);
    case "gumbel":
      return gumbelMechanism(backend, ids, p.cal);
  }
}

/**
 * As `privatizeIds`, with an asynchronous backend's whole-batch kernels (WebGPU)
 * run first: M1's nearest words for every token in one dispatch, and the distance
 * rows M2 and M3 need. Same random draws, in the same order, as `privatizeIds`.
 */
export async function privatizeIdsAsync(backend: Backend, ids: Int32Array, p: Prepared): Promise<Int32Array> {
  const k = backend.async;
  if (!k || k.lost || ids.length === 0) return privatizeIds(backend, ids, p);
  switch (p.kind) {
    case "laplace":
      return k.nearestWords(laplacePoints(backend, ids, p.epsilon), ids.length);
    case "exponential":
    case "tem": {
      const gamma = p.kind === "tem" ? temRadius(backend.embedding.n, p.epsilon, p.beta) : 0;
      const rows = p.kind === "tem" ? [...new Set(ids)].filter((w) => temNeedsRow(backend, w, gamma)) : [...new Set(ids)];
      if (rows.length) await k.prefetchRows(Int32Array.from(rows));
      try {
        return privatizeIds(backend, ids, p);
      } finally {
        k.releaseRows();
      }
    }
    case "gumbel":
      return privatizeIds(backend, ids, p);
  }
}

/** The exact output law, where it is known (M2, M3, M4); null for M1. */
export function exactLaw(backend: Backend, w: number, p: Prepared): OutputLaw | null {
  switch (p.kind) {
    case "laplace":
      return null;
    case "exponential":
      return exponentialLaw(backend, w, p.epsilon);
    case "tem":
      return temLaw(backend, w, p.epsilon, p.beta);
    case "gumbel":
      return gumbelLaw(backend, w, p.cal);
  }
}
