// M9: 1-Diffractor (docs/mechanisms.md, M9; Meisenbacher, Chevli, Matthes, IWSPA
// 2024). Words sit on a one-dimensional order (embeddings/derived.ts builds it);
// a word at position i comes out at clip(i + k, 0, n − 1) with k two-sided
// geometric, P(k) ∝ exp(−ε·|k|) ("geometric", one uniform per word), or by TEM on
// the list distance |i − j| with radius γ ("list-tem", two uniforms per word).
// The guarantee is in list positions, not embedding distance. The peer seeds its
// generator with a public constant by default; Veil draws from the one CSPRNG.
import type { Backend } from "../backends/backend.js";
import { wordOrder } from "../embeddings/derived.js";
import { OutputLaw } from "./law.js";

/** The list-tem variant's default radius γ in list positions (the peer's default). */
export const DEFAULT_LIST_RADIUS = 5;

/** The two-sided geometric offset k for one uniform u, by inversion of P(k) ∝ exp(−ε|k|) (k below zero when u ≤ F(−1)). */
export function geometricOffset(u: number, epsilon: number, limit: number): number {
  const q = Math.exp(-epsilon);
  if (u <= q / (1 + q)) return -Math.min(limit, Math.max(1, Math.floor(-Math.log(u * (1 + q)) / epsilon)));
  return Math.min(limit, Math.max(0, Math.ceil(-Math.log((1 - u) * (1 + q)) / epsilon) - 1));
}

/** The positions [lo, hi] within γ of i, and the log-weight of the catch-all (docs/mechanisms.md, M3, on list distance). */
function listWindow(i: number, n: number, epsilon: number, gamma: number): { lo: number; hi: number; logCatch: number; dists: Float64Array } {
  const lo = Math.max(0, i - gamma),
    hi = Math.min(n - 1, i + gamma);
  const outside = n - (hi - lo + 1);
  const dists = Float64Array.from({ length: hi - lo + 1 }, (_, j) => Math.abs(lo + j - i));
  return { lo, hi, logCatch: outside > 0 ? (-epsilon * gamma) / 2 + Math.log(outside) : -Infinity, dists };
}

/** M9 for every id. */
export function diffractorMechanism(backend: Backend, ids: Int32Array, epsilon: number, variant: "geometric" | "list-tem", gamma: number): Int32Array {
  const n = backend.embedding.n;
  const { order, position } = wordOrder(backend.embedding);
  if (variant === "geometric") {
    const us = backend.uniforms(ids.length);
    return ids.map((w, k) => {
      const i = position[w]!;
      return order[Math.min(n - 1, Math.max(0, i + geometricOffset(us[k]!, epsilon, n)))]!;
    });
  }
  const us = backend.uniforms(2 * ids.length);
  return ids.map((w, k) => {
    const win = listWindow(position[w]!, n, epsilon, gamma);
    const j = backend.temSelect(win.dists, epsilon / 2, win.logCatch, us[2 * k]!);
    if (j >= 0) return order[win.lo + j]!;
    const r = Math.min(n - (win.hi - win.lo + 1) - 1, Math.floor(us[2 * k + 1]! * (n - (win.hi - win.lo + 1))));
    return order[r < win.lo ? r : r + (win.hi - win.lo + 1)]!;
  });
}

/** The exact law of M9 for word w. */
export function diffractorLaw(backend: Backend, w: number, epsilon: number, variant: "geometric" | "list-tem", gamma: number): OutputLaw {
  const n = backend.embedding.n;
  const { order, position } = wordOrder(backend.embedding);
  const i = position[w]!;
  const probs = variant === "geometric" ? geometricPositionLaw(i, n, epsilon) : listTemPositionLaw(i, n, epsilon, gamma);
  return new OutputLaw(Int32Array.from(order), probs, n);
}

/** P(output position j) for the clipped two-sided geometric from position i. */
function geometricPositionLaw(i: number, n: number, epsilon: number): Float64Array {
  const q = Math.exp(-epsilon);
  const p = new Float64Array(n);
  if (n === 1) return p.fill(1);
  for (let j = 1; j < n - 1; j++) p[j] = ((1 - q) / (1 + q)) * Math.exp(-epsilon * Math.abs(j - i));
  p[0] = Math.exp(-epsilon * i) / (1 + q); // P(i + k <= 0)
  p[n - 1] = Math.exp(-epsilon * (n - 1 - i)) / (1 + q); // P(i + k >= n - 1)
  return p;
}

/** P(output position j) for TEM on list distance from position i. */
function listTemPositionLaw(i: number, n: number, epsilon: number, gamma: number): Float64Array {
  const win = listWindow(i, n, epsilon, gamma);
  const p = new Float64Array(n).fill(Math.exp((-epsilon * gamma) / 2));
  for (let j = win.lo; j <= win.hi; j++) p[j] = Math.exp((-epsilon * Math.abs(j - i)) / 2);
  let z = 0;
  for (const x of p) z += x;
  return p.map((x) => x / z);
}
