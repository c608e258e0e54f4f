// M3: the truncated exponential mechanism, TEM (docs/mechanisms.md, M3; Carvalho et al., SDM 2023).
// gamma = (2/eps) ln((1-beta)(n-1)/beta); L_w = words within gamma of w; scores
// -d(w, y) inside, the catch-all scores -gamma + (2/eps) ln(n - |L_w|). Sampled by one
// uniform against the cumulative weights (the same law as Gumbel-max over the
// scores). If the catch-all wins, a second uniform picks the r-th word outside L_w,
// r = floor(u * (n - |L_w|)): the law of the rejection sampling of docs/mechanisms.md, M3, on indices, with
// a fixed two uniforms per word so randomness use does not depend on the input.
import type { Backend } from "../backends/backend.js";
import { hasTable } from "../embeddings/embedding.js";
import type { WeightRow } from "../backends/weight-row.js";
import { OutputLaw } from "./law.js";
import { groupOccurrences } from "./exponential.js";

/** TEM's default β: the probability mass its radius leaves outside the truncation set. */
export const DEFAULT_BETA = 0.001;

/** TEM's truncation radius γ = (2/ε)·ln((1−β)(n−1)/β) for a vocabulary of n words. */
export function temRadius(n: number, epsilon: number, beta = DEFAULT_BETA): number {
  return (2 / epsilon) * Math.log(((1 - beta) * (n - 1)) / beta);
}

interface Candidates {
  ids: Int32Array;
  dists: Float64Array;
}

/** Whether word w's candidate set needs a full distance row (its radius ends beyond the table). */
export function temNeedsRow(backend: Backend, w: number, gamma: number): boolean {
  return tableDistancesWithin(backend, w, gamma) === null;
}

/** w's exact distances to its table row when the radius ends inside that row, else null (a full row is needed). */
function tableDistancesWithin(backend: Backend, w: number, gamma: number): Float64Array | null {
  const e = backend.embedding;
  if (!hasTable(e)) return null;
  const nd = backend.neighbourDistances(w, e.K);
  return nd[e.K - 1]! > gamma ? nd : null;
}

/**
 * L_w from the neighbour table, with exact distances, for each word whose radius ends inside
 * its table row (`fn` gets the set, valid only during the call); returns the indices of the
 * words that need a full row instead.
 */
function forEachTableSet(backend: Backend, words: Int32Array, gamma: number, fn: (i: number, c: Candidates) => void): number[] {
  const e = backend.embedding;
  const needRow: number[] = [];
  words.forEach((w, i) => {
    const nd = tableDistancesWithin(backend, w, gamma);
    if (!nd) return void needRow.push(i);
    let c = 0;
    while (c < e.K && nd[c]! <= gamma) c++;
    const ids = new Int32Array(c + 1);
    const dists = new Float64Array(c + 1);
    ids[0] = w;
    for (let j = 0; j < c; j++) ((ids[j + 1] = e.neighbours![w * e.K + j]!), (dists[j + 1] = nd[j]!));
    fn(i, { ids, dists });
  });
  return needRow;
}

/** The catch-all's weight, exp(−ε·γ/2 + ln(outside)): every word outside L_w at the radius's weight. */
function catchAllLogWeight(epsilon: number, gamma: number, outside: number): number {
  return outside > 0 ? (-epsilon * gamma) / 2 + Math.log(outside) : -Infinity;
}

export function temMechanism(backend: Backend, ids: Int32Array, epsilon: number, beta = DEFAULT_BETA): Int32Array {
  const n = backend.embedding.n;
  const gamma = temRadius(n, epsilon, beta);
  const us = backend.uniforms(2 * ids.length);
  const { unique, occurrences } = groupOccurrences(ids);
  const out = new Int32Array(ids.length);
  // Each distinct word's weights are computed once for all its occurrences (same results as one at a time).
  const needRow = forEachTableSet(backend, unique, gamma, (i, c) => {
    const positions = occurrences[i]!;
    const outside = n - c.ids.length;
    const logCatch = catchAllLogWeight(epsilon, gamma, outside);
    const js =
      positions.length === 1
        ? Int32Array.of(backend.temSelect(c.dists, epsilon / 2, logCatch, us[2 * positions[0]!]!))
        : backend.temSelectMany(
            c.dists,
            epsilon / 2,
            logCatch,
            Float64Array.from(positions, (pos) => us[2 * pos]!),
          );
    let sorted: Int32Array | undefined;
    positions.forEach((pos, k) => {
      const j = js[k]!;
      out[pos] = j >= 0 ? c.ids[j]! : nthOutsideSorted((sorted ??= Int32Array.from(c.ids).sort()), Math.floor(us[2 * pos + 1]! * outside), n);
    });
  });
  if (needRow.length === 0) return out;
  // Beyond the table: the word's weights over the whole vocabulary, zero outside the radius, then the catch-all last.
  backend.forEachWeightRow(
    Int32Array.from(needRow, (i) => unique[i]!),
    epsilon / 2,
    gamma,
    (r, row) => {
      const outside = n - row.inside;
      const wCatch = Math.exp(catchAllLogWeight(epsilon, gamma, outside));
      for (const pos of occurrences[needRow[r]!]!) {
        const target = us[2 * pos]! * (row.total + wCatch);
        out[pos] = target <= row.total ? row.pick(target) : row.nthOutside(Math.floor(us[2 * pos + 1]! * outside));
      }
    },
  );
  return out;
}

/** The r-th (0-based) vocabulary id not in `inside`. */
export function nthOutside(inside: Int32Array, r: number, n: number): number {
  return nthOutsideSorted(Int32Array.from(inside).sort(), r, n);
}

/** nthOutside with `inside` already sorted ascending. */
function nthOutsideSorted(sorted: Int32Array, r: number, n: number): number {
  let id = r;
  // Each member at or below the running id pushes it one further.
  for (const m of sorted) {
    if (m <= id) id++;
    else break;
  }
  return Math.min(id, n - 1);
}

/** Exact law of M3 for word w: the weights its sampler draws from. */
export function temLaw(backend: Backend, w: number, epsilon: number, beta = DEFAULT_BETA): OutputLaw {
  const n = backend.embedding.n;
  const gamma = temRadius(n, epsilon, beta);
  let law: OutputLaw | undefined;
  const needRow = forEachTableSet(backend, Int32Array.of(w), gamma, (_, c) => (law = tableLaw(c, n, epsilon, gamma)));
  if (needRow.length > 0) backend.forEachWeightRow(Int32Array.of(w), epsilon / 2, gamma, (_, row) => (law = rowLaw(row, epsilon, gamma)));
  return law!;
}

/** The law from L_w in the table: weights exp(−ε·d/2), each outside word at the radius's weight. */
function tableLaw(c: Candidates, n: number, epsilon: number, gamma: number): OutputLaw {
  const outside = n - c.ids.length;
  // Work relative to the largest log-weight (w itself, score 0) to avoid overflow.
  const wIn = Float64Array.from(c.dists, (dy) => Math.exp((-epsilon * dy) / 2));
  const each = Math.exp((-epsilon * gamma) / 2);
  let z = outside * each;
  for (const x of wIn) z += x;
  return new OutputLaw(
    c.ids,
    wIn.map((x) => x / z),
    n,
    outside > 0 ? each / z : 0,
  );
}

/** The law from a full weight row: the words within the radius at their weights, the catch-all shared by the others. */
function rowLaw(row: WeightRow, epsilon: number, gamma: number): OutputLaw {
  const all = row.weights();
  const outside = row.n - row.inside;
  const wCatch = Math.exp(catchAllLogWeight(epsilon, gamma, outside));
  const ids = new Int32Array(row.inside);
  const wIn = new Float64Array(row.inside);
  let z = wCatch,
    c = 0;
  all.forEach((x, y) => {
    if (x > 0) ((ids[c] = y), (wIn[c++] = x), (z += x));
  });
  return new OutputLaw(
    ids,
    wIn.map((x) => x / z),
    row.n,
    outside > 0 ? wCatch / outside / z : 0,
  );
}
