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
import { WEIGHT_EXPONENT_FLOOR } from "../backends/weight-row.js";

/** Word w's output group and the normalised probability of each member (float64, exact distances). */
export function custextWeights(e: Embedding, g: CustextGroups, w: number, epsilon: number): { members: Int32Array; probs: Float64Array } {
  const gi = g.groupOf[w]!;
  const members = g.members.subarray(g.start[gi]!, g.start[gi + 1]!);
  const s = members.length;
  const probs = new Float64Array(s);
  let m = Infinity,
    M = -Infinity;
  for (let j = 0; j < s; j++) {
    const x = members[j] === w ? 0 : wordDistance(e, w, members[j]!);
    probs[j] = x;
    ((m = Math.min(m, x)), (M = Math.max(M, x)));
  }
  const span = M - m;
  // Every score is in [0, 1]; relative to the top score 1, weights are exp(−ε·(1 − score)/2), the exponent
  // floored as M2's is (weight-row.ts): above ε = 1416 a member would otherwise get weight 0 for one input
  // and not for another, an unbounded loss where ε-DP is claimed.
  let total = 0;
  for (let j = 0; j < s; j++) total += probs[j] = Math.exp(Math.max((-epsilon / 2) * (span > 0 ? (probs[j]! - m) / span : 0), WEIGHT_EXPONENT_FLOOR));
  for (let j = 0; j < s; j++) probs[j] = probs[j]! / total;
  return { members, probs };
}

/**
 * Every word's cumulative probabilities for one ε, filled as words are met and
 * kept while a Veil uses that ε (as M4 keeps its exp(d/b) per table slot): a
 * text's words then cost one inversion each, not a group's distances and exps.
 * A group G (|G| = s) gets its s × s sums when one of its words is first met
 * (word at place p of G: row p − start[G]), so memory follows the groups a
 * corpus meets: at most Σ s² float64 over the pack, 8 MB for 50,000 words in
 * groups of 20. Each row adds `custextWeights`' probabilities in member order,
 * as the law's inversion does (docs/mechanisms.md, M8); a row not filled yet ends
 * in 0, a filled one in their total (about 1: every probability is positive).
 */
class CustextLawTable {
  private readonly place: Int32Array;
  private readonly sums: (Float64Array | undefined)[];

  constructor(
    private readonly e: Embedding,
    private readonly g: CustextGroups,
    readonly epsilon: number,
  ) {
    this.place = new Int32Array(e.n);
    g.members.forEach((w, p) => (this.place[w] = p));
    this.sums = new Array<Float64Array | undefined>(g.start.length - 1);
  }

  /** Word w's output for uniform u: the member at which the cumulative probability first reaches u (the last one against rounding). */
  pick(w: number, u: number): number {
    const gi = this.g.groupOf[w]!;
    const first = this.g.start[gi]!;
    const s = this.g.start[gi + 1]! - first;
    const sums = (this.sums[gi] ??= new Float64Array(s * s));
    const at = (this.place[w]! - first) * s;
    if (sums[at + s - 1] === 0) this.fill(w, sums, at);
    for (let j = 0; j < s - 1; j++) if (u <= sums[at + j]!) return this.g.members[first + j]!;
    return this.g.members[first + s - 1]!;
  }

  private fill(w: number, sums: Float64Array, at: number): void {
    const { probs } = custextWeights(this.e, this.g, w, this.epsilon);
    let acc = 0;
    for (let j = 0; j < probs.length; j++) sums[at + j] = acc += probs[j]!;
  }
}

/** The law table of the latest ε per pack and group size (a new ε replaces it: one table each, not one per ε ever used). */
const lawTables = new WeakMap<CustextGroups, CustextLawTable>();

function lawTableFor(e: Embedding, g: CustextGroups, epsilon: number): CustextLawTable {
  let t = lawTables.get(g);
  if (t?.epsilon !== epsilon) lawTables.set(g, (t = new CustextLawTable(e, g, epsilon)));
  return t;
}

/** M8 for every id: one uniform per word against its group's cumulative probabilities. */
export function custextMechanism(backend: Backend, ids: Int32Array, epsilon: number, groupSize: number): Int32Array {
  const e = backend.embedding;
  const laws = lawTableFor(e, custextGroups(e, groupSize), epsilon);
  const us = backend.uniforms(ids.length);
  return ids.map((w, i) => laws.pick(w, us[i]!));
}

/** The exact law of M8 for word w. */
export function custextLaw(backend: Backend, w: number, epsilon: number, groupSize: number): OutputLaw {
  const e = backend.embedding;
  const { members, probs } = custextWeights(e, custextGroups(e, groupSize), w, epsilon);
  return new OutputLaw(Int32Array.from(members), probs, e.n);
}
