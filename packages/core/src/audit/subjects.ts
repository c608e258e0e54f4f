// Audit subjects for Veil's own mechanisms, and the word pairs worth auditing.
// Each mechanism is audited in its own terms (docs/mechanisms.md): the metric its
// claim is stated in, the pairs the claim covers (SanText+: sensitive words only;
// CusText: members of one group; 1-Diffractor: list positions), and, where no
// closed-form law exists (M1, M5, M6, M10), checks of its random step.
import { INTERNAL, type Veil } from "../veil.js";
import type { MechanismOptions } from "../mechanisms/options.js";
import { prepare, type Prepared } from "../mechanisms/run.js";
import { temRadius } from "../mechanisms/tem.js";
import { mahalanobisDistance, mahalanobisPoints, type MahalanobisFactors } from "../mechanisms/mahalanobis.js";
import { multiplyVector } from "../math/symmetric-eigen.js";
import { vickreyChoose, vickreyFirstProbability } from "../mechanisms/vickrey.js";
import { rankLaw, rankOutputs } from "../mechanisms/laplace-rank.js";
import { firstSensitive } from "../mechanisms/santext.js";
import { custextGroups, wordOrder } from "../embeddings/derived.js";
import { hasTable, wordDistance, type Embedding } from "../embeddings/embedding.js";
import { knnRowExact, nearestTwoExact } from "../backends/exact.js";
import type { Backend } from "../backends/backend.js";
import type { AuditPair, AuditSubject } from "./audit.js";
import { discreteNoiseCheck, radialNoiseCheck, type NoiseCheck } from "./noise-checks.js";

/** A Veil's mechanism as `runAudit` tests it, with a law 10% off (epsilon, or M4's λ) for the power check. */
export function veilSubject(veil: Veil, o: MechanismOptions): AuditSubject {
  const e = veil.embedding;
  const backend = veil[INTERNAL]().backend;
  const p = prepare(e, o);
  const off: MechanismOptions = o.mechanism === "gumbel" ? { ...o, lambda: 1.1 * (o.lambda ?? Math.log(e.n - 1)) } : { ...o, epsilon: 1.1 * o.epsilon };
  return {
    name: o.mechanism,
    claim: o.mechanism === "gumbel" ? null : o.epsilon,
    sample: (w, count) => veil.privatizeIds(new Int32Array(count).fill(w), o),
    // null for the mechanisms without a closed-form law (M1, M5, M6, M10): their noise checks stand in.
    law: (w) => veil.law(e.words[w]!, o),
    offLaw: (w) => veil.law(e.words[w]!, off),
    ...metricOf(e, p),
    noise: noiseChecks(backend, p, auditProbe(e)),
  };
}

/** The distance a mechanism's claim is stated in. */
function metricOf(e: Embedding, p: Prepared): Pick<AuditSubject, "metric" | "distance"> {
  const factors = p.kind === "mahalanobis" ? p.factors : p.kind === "vickrey" ? p.factors : null;
  if (factors) return { metric: "d_RM", distance: (a, b) => mahalanobisDistance(e, factors, a, b) };
  if (p.kind === "diffractor") {
    const { position } = wordOrder(e);
    return { metric: "list positions", distance: (a, b) => Math.abs(position[a]! - position[b]!) };
  }
  if (p.kind === "custext") {
    const { groupOf } = custextGroups(e, p.groupSize);
    return { metric: "same group", distance: (a, b) => (a === b ? 0 : groupOf[a] === groupOf[b] ? 1 : Infinity) };
  }
  return { metric: "Euclidean", distance: (a, b) => wordDistance(e, a, b) };
}

/** The word the noise checks are run at: a mid-frequency word where there is one. */
function auditProbe(e: Embedding): number {
  return Math.min(100, e.n - 1);
}

/** The noise-law checks of the mechanisms with no closed-form law (none for the others). */
function noiseChecks(backend: Backend, p: Prepared, w: number): NoiseCheck[] {
  const d = backend.embedding.d;
  switch (p.kind) {
    case "laplace":
      return [radialNoiseCheck("M1 noise radius", (count) => laplaceRadii(backend, count, p.epsilon), d, p.epsilon)];
    case "mahalanobis":
      return [radialNoiseCheck("M5 noise radius in d_RM", (count) => mahalanobisRadii(backend, w, count, p.epsilon, p.factors), d, p.epsilon)];
    case "vickrey":
      return [
        p.factors
          ? radialNoiseCheck("M6 base noise radius in d_RM", (count) => mahalanobisRadii(backend, w, count, p.epsilon, p.factors!), d, p.epsilon)
          : radialNoiseCheck("M6 base noise radius", (count) => laplaceRadii(backend, count, p.epsilon), d, p.epsilon),
        vickreyChoiceCheck(backend, w, p.t, (points, count) => vickreyChoose(backend, points, count, p.t)),
      ];
    case "laplace-rank":
      return [
        radialNoiseCheck("M10 noise radius", (count) => laplaceRadii(backend, count, p.epsilon), d, p.epsilon),
        rankCheck(backend, w, p.epsilon, p.c, (pivots) => rankOutputs(backend, pivots, p.epsilon, p.c)),
      ];
    default:
      return [];
  }
}

/** ‖z‖ of `count` M1 noise vectors. */
function laplaceRadii(backend: Backend, count: number, epsilon: number): Float64Array {
  return Float64Array.from({ length: count }, () => Math.hypot(...backend.laplaceNoise(epsilon)));
}

/**
 * d_RM radius of M5's noise at word w, ‖Σ_λ^{−1/2}(x̂ − φ(w))‖, through the
 * mechanism's own noisy points (`points`: the real ones, or a mutant's).
 */
export function mahalanobisRadii(
  backend: Backend,
  w: number,
  count: number,
  epsilon: number,
  f: MahalanobisFactors,
  points: (ids: Int32Array) => Float64Array = (ids) => mahalanobisPoints(backend, ids, epsilon, f),
): Float64Array {
  const e = backend.embedding;
  const d = e.d;
  const x = points(new Int32Array(count).fill(w));
  const z = new Float64Array(d);
  const y = new Float64Array(d);
  return Float64Array.from({ length: count }, (_, i) => {
    for (let k = 0; k < d; k++) z[k] = x[i * d + k]! - e.vectors[w * d + k]!;
    multiplyVector(f.inverseSqrt, z, d, y);
    let s = 0;
    for (let k = 0; k < d; k++) s += y[k]! * y[k]!;
    return Math.sqrt(s);
  });
}

/**
 * M6's choice at one fixed noisy point, 30% of the way from w to its nearest
 * neighbour: the nearer word w₁ must come out with probability
 * (1 − t)d₂/(td₁ + (1 − t)d₂); the power check moves t by 10%. `choose` is the
 * choice under test, given the input word's points (a mutant may read the input).
 */
export function vickreyChoiceCheck(
  backend: Backend,
  w: number,
  t: number,
  choose: (points: Float64Array, count: number, input: number) => Int32Array,
): NoiseCheck {
  const e = backend.embedding;
  const nb = hasTable(e) ? e.neighbours[w * e.K]! : w === 0 ? 1 : 0;
  const point = Float64Array.from({ length: e.d }, (_, k) => e.vectors[w * e.d + k]! + 0.3 * (e.vectors[nb * e.d + k]! - e.vectors[w * e.d + k]!));
  const two = nearestTwoExact(e, point, 0);
  const lawAt = (tt: number) => {
    const p1 = vickreyFirstProbability(two.d1, two.d2, tt);
    return new Map([
      [two.id1, p1],
      [two.id2, 1 - p1],
    ]);
  };
  const tOff = t * 1.1 <= 1 ? t * 1.1 : t / 1.1;
  return discreteNoiseCheck(
    "M6 choice between the two nearest words",
    (count) => {
      const points = new Float64Array(count * e.d);
      for (let i = 0; i < count; i++) points.set(point, i * e.d);
      return choose(points, count, w);
    },
    lawAt(t),
    lawAt(tOff),
  );
}

/** M10's rank around a fixed pivot w against P(R = r) ∝ exp(−c·ε·r); the power check at 1.1ε. */
export function rankCheck(backend: Backend, w: number, epsilon: number, c: number, post: (pivots: Int32Array) => Int32Array): NoiseCheck {
  const e = backend.embedding;
  const rankOf = ranksAround(e, w);
  const asMap = (probs: Float64Array) => new Map(Array.from(probs, (p, r) => [r, p] as [number, number]));
  return discreteNoiseCheck(
    "M10 rank around the pivot",
    (count) => post(new Int32Array(count).fill(w)).map((y) => rankOf[y]!),
    asMap(rankLaw(c * epsilon, e.n)),
    asMap(rankLaw(1.1 * c * epsilon, e.n)),
  );
}

/** Each word's rank around w: 0 for w, then by exact distance, ties to the lower id (the exact k-NN row of every other word). */
function ranksAround(e: Embedding, w: number): Int32Array {
  const rank = new Int32Array(e.n);
  knnRowExact(e, w, e.n - 1).ids.forEach((y, r) => (rank[y] = r + 1));
  return rank;
}

/**
 * Pairs that stress a claim, among the words it covers: each probe word with its
 * nearest neighbour; with the table neighbour whose own list overlaps its list
 * least; with the neighbour nearest TEM's radius; and with a far word. SanText+
 * probes only sensitive words, CusText pairs only members of one group, and
 * 1-Diffractor pairs by list position.
 */
export function auditPairs(veil: Veil, o: MechanismOptions, probes: number[]): AuditPair[] {
  const e = veil.embedding;
  if (!hasTable(e)) throw new Error("the audit needs a pack with a neighbour table");
  if (o.mechanism === "custext") return groupPairs(e, o.groupSize, probes);
  if (o.mechanism === "diffractor") return listPairs(e, probes);
  if (o.mechanism === "santext" && (o.s ?? 0.5) < 1) return sensitivePairs(e, firstSensitive(e.n, o.s ?? 0.5), probes);
  return embeddingPairs(e, o, probes);
}

/**
 * The words whose laws the fit test checks: the probes, except for SanText+,
 * whose claim is about sensitive words: there the probes moved into V_S (a
 * common word's law is 80% itself whatever ε, so a 10% change of ε barely moves it).
 */
export function auditFitWords(veil: Veil, o: MechanismOptions, probes: number[]): number[] {
  const n = veil.embedding.n;
  if (o.mechanism !== "santext" || (o.s ?? 0.5) >= 1) return probes;
  const lo = firstSensitive(n, o.s ?? 0.5);
  return probes.map((p) => lo + (p % (n - lo)));
}

function embeddingPairs(e: Embedding, o: MechanismOptions, probes: number[]): AuditPair[] {
  const K = e.K;
  const row = (w: number) => Array.from(e.neighbours!.subarray(w * K, (w + 1) * K));
  const pairs: AuditPair[] = [];
  for (const w of probes) {
    const nbrs = row(w);
    pairs.push({ a: w, b: nbrs[0]!, kind: "nearest" });
    const mine = new Set(nbrs);
    let worst = nbrs[0]!,
      worstOverlap = Infinity;
    for (const y of nbrs.slice(0, 16)) {
      const overlap = row(y).filter((z) => mine.has(z)).length;
      if (overlap < worstOverlap) ((worstOverlap = overlap), (worst = y));
    }
    pairs.push({ a: w, b: worst, kind: "sets-differ" });
    if (o.mechanism === "tem") {
      const gamma = temRadius(e.n, o.epsilon, o.beta);
      let best = nbrs[0]!;
      for (const y of nbrs) if (Math.abs(wordDistance(e, w, y) - gamma) < Math.abs(wordDistance(e, w, best) - gamma)) best = y;
      pairs.push({ a: w, b: best, kind: "tem-radius" });
    }
    pairs.push({ a: w, b: farWord(e, w, 0), kind: "far" });
  }
  return pairs;
}

/** The farthest of a sample of about 500 words at or above id `lo`. */
function farWord(e: Embedding, w: number, lo: number): number {
  let far = lo === w ? lo + 1 : lo;
  for (let y = lo; y < e.n; y += Math.max(1, Math.floor((e.n - lo) / 500))) if (y !== w && wordDistance(e, w, y) > wordDistance(e, w, far)) far = y;
  return far;
}

/** SanText+: sensitive probes (ids from `lo`), their nearest sensitive table neighbour, and a far sensitive word. */
function sensitivePairs(e: Embedding, lo: number, probes: number[]): AuditPair[] {
  return probes.flatMap((p) => {
    const w = lo + (p % (e.n - lo)); // as auditFitWords
    const near = Array.from(e.neighbours!.subarray(w * e.K, (w + 1) * e.K)).find((y) => y >= lo) ?? farWord(e, w, lo);
    return [
      { a: w, b: near, kind: "sensitive-nearest" },
      { a: w, b: farWord(e, w, lo), kind: "sensitive-far" },
    ];
  });
}

/** CusText: each probe with its nearest and its farthest group-mate. */
function groupPairs(e: Embedding, groupSize: number | undefined, probes: number[]): AuditPair[] {
  const g = custextGroups(e, groupSize);
  return probes.flatMap((w) => {
    const gi = g.groupOf[w]!;
    const mates = Array.from(g.members.subarray(g.start[gi]!, g.start[gi + 1]!)).filter((y) => y !== w);
    mates.sort((a, b) => wordDistance(e, w, a) - wordDistance(e, w, b) || a - b);
    return [
      { a: w, b: mates[0]!, kind: "group-nearest" },
      { a: w, b: mates.at(-1)!, kind: "group-farthest" },
    ];
  });
}

/** 1-Diffractor: each probe with the words 1 and 3 positions on along the order. */
function listPairs(e: Embedding, probes: number[]): AuditPair[] {
  const { order, position } = wordOrder(e);
  return probes.flatMap((w) => {
    const i = Math.min(position[w]!, e.n - 4);
    return [
      { a: order[i]!, b: order[i + 1]!, kind: "list-adjacent" },
      { a: order[i]!, b: order[i + 3]!, kind: "list-3-apart" },
    ];
  });
}
