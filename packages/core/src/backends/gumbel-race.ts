// The TypeScript twin of assembly/mechanisms.ts's gumbelBatch: M4's argmin of
// distance - truncated Gumbel noise, taken as an exponential race (docs/mechanisms.md,
// M4, "How the sampler finds the argmin"). Same uniforms in the same order, same
// keys, so seeded outputs match the WebAssembly backend.
import type { Embedding } from "../embeddings/embedding.js";
import { poissonFromCdf } from "../random/samplers.js";
import type { UniformStream } from "../random/uniform-stream.js";
import type { GumbelSamplerParams } from "./backend.js";

/** Slack on the bound test, relative to the key and to c (see assembly/mechanisms.ts, RACE_MARGIN). */
const RACE_MARGIN = 1e-12;

/** One word's candidates: c = exp(d/b) (c[0] = 1, the word itself), V = F(-m) + U (F(m) - F(-m)), and the lower bound of c E. */
interface Race {
  c: Float64Array;
  v: Float64Array;
  bound: Float64Array;
}

/** M4 for every id: `scaleOf(w, j)` gives exp(d/b) for w's table neighbour j. */
export function gumbelRace(e: Embedding, s: UniformStream, ids: Int32Array, p: GumbelSamplerParams, scaleOf: (w: number, j: number) => number): Int32Array {
  const K = e.K;
  const table = e.neighbours!;
  const race: Race = { c: new Float64Array(K + 1), v: new Float64Array(K + 1), bound: new Float64Array(K + 1) };
  const lnT = Math.log(p.tangentAt),
    invT = 1 / p.tangentAt;
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const w = ids[i]!;
    const k = poissonFromCdf(s, p.poissonCdf);
    race.c[0] = 1;
    for (let j = 0; j < k; j++) race.c[j + 1] = scaleOf(w, j);
    const first = drawRace(race, s, k, p, lnT, invT);
    out[i] = raceWinner(race, k, first, (j) => (j === 0 ? w : table[w * K + j - 1]!));
    s.skip(K - k);
  }
  return out;
}

/** Draws V for candidates 0..k and their bounds c (1 - ln t - V/t); returns the candidate with the smallest bound. */
function drawRace(r: Race, s: UniformStream, k: number, p: GumbelSamplerParams, lnT: number, invT: number): number {
  let first = 0,
    firstBound = Infinity;
  for (let j = 0; j <= k; j++) {
    const v = p.fLow + s.next() * p.fRange;
    const bound = r.c[j]! * (1 - lnT - v * invT);
    r.v[j] = v;
    r.bound[j] = bound;
    if (bound < firstBound) {
      firstBound = bound;
      first = j;
    }
  }
  return first;
}

/** The smallest key c (-ln V), ties to the lower id; exact keys only where the bound leaves a chance. */
function raceWinner(r: Race, k: number, first: number, idOf: (j: number) => number): number {
  let bestId = idOf(first);
  let best = r.c[first]! * -Math.log(r.v[first]!);
  for (let j = 0; j <= k; j++) {
    if (j === first) continue;
    const c = r.c[j]!;
    if (r.bound[j]! > best + (best + c) * RACE_MARGIN) continue; // cannot win, nor tie
    const key = c * -Math.log(r.v[j]!);
    const id = idOf(j);
    if (key < best || (key === best && id < bestId)) {
      best = key;
      bestId = id;
    }
  }
  return bestId;
}
