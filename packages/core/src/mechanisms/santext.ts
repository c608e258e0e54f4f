// M7: SanText+ (docs/mechanisms.md, M7; Yue, Du, Wang, Li, Sun, Chow, Findings ACL
// 2021). The sensitive words V_S are the rarest fraction s of the vocabulary by the
// pack's public frequency order (its last ⌈s·n⌉ ids; the original counts the
// private corpus, and a public order keeps the split independent of the data).
// A sensitive word, and any other word with probability p, is replaced by
// y ∈ V_S with P(y | x) ∝ exp(−ε·d(x, y)/2); otherwise the word is kept, and
// then it is unprotected (only it can produce that output). Two uniforms per word
// whatever the word: the coin, then the draw. s = 1 is plain SanText, which is M2:
// run.ts sends it there rather than keeping a second copy of M2.
import type { Backend } from "../backends/backend.js";
import { drawFromRow, expWeights, groupOccurrences } from "./exponential.js";
import { OutputLaw } from "./law.js";

/** SanText+'s default sensitive fraction s: the rarer half of the vocabulary. */
export const DEFAULT_SANTEXT_S = 0.5;
/** SanText+'s default probability p that a non-sensitive word is resampled anyway. */
export const DEFAULT_SANTEXT_P = 0.2;

/** The first sensitive id: V_S = [firstSensitive(n, s), n). */
export function firstSensitive(n: number, s: number): number {
  return n - Math.min(n, Math.ceil(s * n));
}

/** M7's outputs, and which positions came out unchanged by the keep branch (unprotected). */
export function santextMechanism(backend: Backend, ids: Int32Array, epsilon: number, s: number, p: number): { out: Int32Array; unprotected: Uint8Array } {
  const n = backend.embedding.n;
  const lo = firstSensitive(n, s);
  const us = backend.uniforms(2 * ids.length); // drawn first, in text order
  const out = new Int32Array(ids);
  const unprotected = new Uint8Array(ids.length);
  const resample: number[] = [];
  ids.forEach((w, i) => {
    if (w >= lo || us[2 * i]! < p) resample.push(i);
    else unprotected[i] = 1;
  });
  const { unique, occurrences } = groupOccurrences(Int32Array.from(resample, (i) => ids[i]!));
  // Only V_S's columns are computed: the draw is over them alone.
  backend.forEachDistanceRow(
    unique,
    (g, row) => {
      const at = occurrences[g]!.map((k) => resample[k]!);
      const ys = drawFromRow(
        backend,
        row,
        epsilon / 2,
        Float64Array.from(at, (i) => us[2 * i + 1]!),
      );
      at.forEach((i, k) => (out[i] = lo + ys[k]!));
    },
    lo,
  );
  return { out, unprotected };
}

/** The exact law of M7 for word w (the same float64 distances the sampler uses). */
export function santextLaw(backend: Backend, w: number, epsilon: number, s: number, p: number): OutputLaw {
  const n = backend.embedding.n;
  const lo = firstSensitive(n, s);
  const resampled = w >= lo ? 1 : p;
  const support: number[] = [];
  const probs: number[] = [];
  backend.forEachDistanceRow(
    Int32Array.of(w),
    (_i, row) => expWeights(row, epsilon / 2).forEach((q, j) => (support.push(lo + j), probs.push(resampled * q))),
    lo,
  );
  if (w < lo) (support.push(w), probs.push(1 - p));
  return new OutputLaw(Int32Array.from(support), Float64Array.from(probs), n);
}
