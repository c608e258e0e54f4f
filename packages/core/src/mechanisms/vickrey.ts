// M6: the Vickrey mechanism (docs/mechanisms.md, M6; Xu, Aggarwal, Feyisetan,
// Teissier, PrivateNLP @ NAACL 2021). The noisy point of M1 (or M5), its two
// nearest words w₁ (d₁) ≤ w₂ (d₂), and w₁ with probability
// p = (1 − t)·d₂ / (t·d₁ + (1 − t)·d₂), else w₂. The choice reads the noisy point
// and public vectors only, never the input word: one peer drops w₁ when it is the
// input, and that breaks the base mechanism's guarantee.
import type { Backend, NearestTwoBatch } from "../backends/backend.js";

/** M6's default t (the second word's weight); t = 0 always outputs w₁, which is M1. */
export const DEFAULT_VICKREY_T = 0.75;

/** The probability of the nearer word: (1 − t)·d₂ / (t·d₁ + (1 − t)·d₂); 1 when both weights vanish (d₁ = 0 and t = 1 cannot choose). */
export function vickreyFirstProbability(d1: number, d2: number, t: number): number {
  const den = t * d1 + (1 - t) * d2;
  return den > 0 ? ((1 - t) * d2) / den : 1;
}

/**
 * The outputs for noisy points already drawn: one uniform per point, drawn after
 * the noise, whatever the words (the randomness used does not depend on the input).
 */
export function vickreyChoose(backend: Backend, points: Float64Array, count: number, t: number): Int32Array {
  const two: NearestTwoBatch = backend.nearestTwo(points, count);
  const us = backend.uniforms(count);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const second = two.ids[2 * i + 1]!;
    const p = second < 0 ? 1 : vickreyFirstProbability(two.dists[2 * i]!, two.dists[2 * i + 1]!, t);
    out[i] = us[i]! < p ? two.ids[2 * i]! : second;
  }
  return out;
}
