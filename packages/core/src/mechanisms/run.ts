// Dispatch from options to a mechanism, with validation done before any
// randomness is drawn (a refused call releases nothing).
import type { Backend } from "../backends/backend.js";
import type { Embedding } from "../embeddings/embedding.js";
import { exponentialLaw, exponentialMechanism } from "./exponential.js";
import { laplaceMechanism } from "./laplace.js";
import type { OutputLaw } from "./law.js";
import { checkOptions, type MechanismOptions } from "./options.js";
import { DEFAULT_BETA, temLaw, temMechanism } from "./tem.js";
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
