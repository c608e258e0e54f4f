// M2: the exponential mechanism over the whole vocabulary (docs/mechanisms.md, M2).
// P[M(w) = y] proportional to exp(-epsilon * d(w, y) / 2). Sampled by one uniform
// against the cumulative normalised weights (one uniform per word whatever the word).
import type { Backend } from "../backends/backend.js";
import { OutputLaw } from "./law.js";

export function exponentialMechanism(backend: Backend, ids: Int32Array, epsilon: number): Int32Array {
  const us = backend.uniforms(ids.length); // drawn first, in text order
  const out = new Int32Array(ids.length);
  const { unique, occurrences } = groupOccurrences(ids);
  backend.forEachDistanceRow(unique, (i, row) => {
    const at = occurrences[i]!;
    if (at.length === 1) out[at[0]!] = backend.expSample(row, epsilon / 2, us[at[0]!]!);
    else
      backend
        .expSampleMany(
          row,
          epsilon / 2,
          Float64Array.from(at, (pos) => us[pos]!),
        )
        .forEach((y, k) => (out[at[k]!] = y));
  });
  return out;
}

/** Exact law of M2 for word w (the same float64 distances the sampler uses). */
export function exponentialLaw(backend: Backend, w: number, epsilon: number): OutputLaw {
  let law: OutputLaw | null = null;
  backend.forEachDistanceRow(Int32Array.of(w), (_i, row) => {
    const n = row.length;
    let dmin = Infinity;
    for (let j = 0; j < n; j++) dmin = Math.min(dmin, row[j]!);
    const p = new Float64Array(n);
    let total = 0;
    for (let j = 0; j < n; j++) total += p[j] = Math.exp((-epsilon / 2) * (row[j]! - dmin));
    for (let j = 0; j < n; j++) p[j]! /= total;
    law = new OutputLaw(
      Int32Array.from({ length: n }, (_, j) => j),
      p,
      n,
    );
  });
  return law!;
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
