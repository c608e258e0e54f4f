// M8: CusText (docs/mechanisms.md, M8; Chen et al., Findings ACL 2023). Each word
// has a fixed output group O of K words (embeddings/derived.ts builds the groups);
// within it, score(x, y) = 1 − (d(x, y) − m)/(M − m), m and M the smallest and
// largest d(x, ·) over O, and P(y | x) ∝ exp(ε·score/2): ε-DP among the members of
// one group, and the output reveals the group. One uniform per word. CusText+ is
// this with `keep: "stopwords"`.
import type { Backend } from "../backends/backend.js";
import { custextGroups, type CustextGroups } from "../embeddings/derived.js";
import { wordDistance, type Embedding } from "../embeddings/embedding.js";
import { OutputLaw } from "./law.js";

/** Word w's output group and the normalised probability of each member (float64, exact distances). */
export function custextWeights(e: Embedding, g: CustextGroups, w: number, epsilon: number): { members: Int32Array; probs: Float64Array } {
  const gi = g.groupOf[w]!;
  const members = g.members.subarray(g.start[gi]!, g.start[gi + 1]!);
  const dist = Float64Array.from(members, (y) => (y === w ? 0 : wordDistance(e, w, y)));
  let m = Infinity,
    M = -Infinity;
  for (const x of dist) ((m = Math.min(m, x)), (M = Math.max(M, x)));
  const span = M - m;
  // Every score is in [0, 1]; relative to the top score 1, weights are exp(−ε·(1 − score)/2).
  const probs = Float64Array.from(dist, (x) => Math.exp((-epsilon / 2) * (span > 0 ? (x - m) / span : 0)));
  let total = 0;
  for (const x of probs) total += x;
  for (let j = 0; j < probs.length; j++) probs[j] = probs[j]! / total;
  return { members, probs };
}

/** M8 for every id: one uniform per word against its group's cumulative probabilities. */
export function custextMechanism(backend: Backend, ids: Int32Array, epsilon: number, groupSize: number): Int32Array {
  const e = backend.embedding;
  const g = custextGroups(e, groupSize);
  const us = backend.uniforms(ids.length);
  const laws = new Map<number, { members: Int32Array; probs: Float64Array }>();
  return ids.map((w, i) => {
    let law = laws.get(w);
    if (!law) laws.set(w, (law = custextWeights(e, g, w, epsilon)));
    return pickByInversion(law.members, law.probs, us[i]!);
  });
}

/** The member at which the cumulative probability first reaches u (the last one against rounding). */
function pickByInversion(members: Int32Array, probs: Float64Array, u: number): number {
  let acc = 0;
  for (let j = 0; j < members.length; j++) {
    acc += probs[j]!;
    if (u <= acc) return members[j]!;
  }
  return members[members.length - 1]!;
}

/** The exact law of M8 for word w. */
export function custextLaw(backend: Backend, w: number, epsilon: number, groupSize: number): OutputLaw {
  const e = backend.embedding;
  const { members, probs } = custextWeights(e, custextGroups(e, groupSize), w, epsilon);
  return new OutputLaw(Int32Array.from(members), probs, e.n);
}
