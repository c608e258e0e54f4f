// M2: the exponential mechanism over the whole vocabulary (docs/mechanisms.md, M2).
// P[M(w) = y] proportional to exp(-epsilon * d(w, y) / 2). Sampled by one uniform
// against the cumulative weights (one uniform per word whatever the word); the weights
// come from the backend's forEachWeightRow, which the exact law reads too.
import type { Backend } from "../backends/backend.js";
import { OutputLaw } from "./law.js";
import { WEIGHT_EXPONENT_FLOOR } from "../backends/weight-row.js";

export function exponentialMechanism(backend: Backend, ids: Int32Array, epsilon: number): Int32Array {
  const us = backend.uniforms(ids.length); // drawn first, in text order
  const out = new Int32Array(ids.length);
  const { unique, occurrences } = groupOccurrences(ids);
  // Each distinct word's weights are summed once; each occurrence is one inverse-CDF draw against them.
  backend.forEachWeightRow(unique, epsilon / 2, Infinity, (i, row) => {
    for (const pos of occurrences[i]!) out[pos] = row.pick(us[pos]! * row.total);
  });
  return out;
}

/**
 * One draw per uniform from P(j) ∝ exp(−scale·row[j]): the backend's single
 * draw for one uniform, its batched one (the weights computed once) for several;
 * the same results either way. M2 and M7 call it once per distinct word.
 */
export function drawFromRow(backend: Backend, row: Float64Array, scale: number, us: Float64Array): Int32Array {
  return us.length === 1 ? Int32Array.of(backend.expSample(row, scale, us[0]!)) : backend.expSampleMany(row, scale, us);
}

/** P(j) ∝ exp(−scale·row[j]), normalised in float64 relative to the row's smallest entry (no overflow), each exponent floored as the samplers floor it. */
export function expWeights(row: Float64Array, scale: number): Float64Array {
  let dmin = Infinity;
  for (const x of row) dmin = Math.min(dmin, x);
  return normalised(Float64Array.from(row, (x) => Math.exp(Math.max(-scale * (x - dmin), WEIGHT_EXPONENT_FLOOR))));
}

/** Exact law of M2 for word w: the weights its sampler draws from (the backend's forEachWeightRow). */
export function exponentialLaw(backend: Backend, w: number, epsilon: number): OutputLaw {
  let law: OutputLaw | null = null;
  backend.forEachWeightRow(Int32Array.of(w), epsilon / 2, Infinity, (_i, row) => {
    law = new OutputLaw(
      Int32Array.from({ length: row.n }, (_, j) => j),
      normalised(row.weights()),
      row.n,
    );
  });
  return law!;
}

/** `weights` divided by their sum. */
function normalised(weights: Float64Array): Float64Array {
  let total = 0;
  for (const x of weights) total += x;
  return weights.map((x) => x / total);
}

/** Unique ids in first-seen order and, for each, the positions where it occurs. */
export function groupOccurrences(ids: Int32Array): { unique: Int32Array; occurrences: number[][] } {
  const at = new Map<number, number>();
  const occurrences: number[][] = [];
  const unique: number[] = [];
  ids.forEach((w, pos) => {
    let i = at.get(w);
    if (i === undefined) {
      at.set(w, (i = unique.length));
      unique.push(w);
      occurrences.push([]);
    }
    occurrences[i]!.push(pos);
  });
  return { unique: Int32Array.from(unique), occurrences };
}
