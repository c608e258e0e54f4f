// M5: the Mahalanobis mechanism (docs/mechanisms.md, M5; Xu, Aggarwal, Feyisetan,
// Teissier, PrivateNLP 2020). M1's noise stretched along the embedding's own
// covariance: z = r · A·u with A = Σ_λ^{1/2}, u a uniform direction and
// r ~ Gamma(d, 1/ε), then the nearest word as in M1. A·u is deliberately NOT
// re-normalised to unit length (one peer does, and its proof then fails).
//
// Σ and A are derived once per pack and λ, at the first use of M5, not stored in
// the pack: on the default pack (50,000 x 100) the covariance and the Jacobi
// decomposition take a few hundred milliseconds once, and only M5's users pay
// (docs/mechanisms.md, "What each mechanism needs from the pack").
import type { Backend } from "../backends/backend.js";
import type { Embedding } from "../embeddings/embedding.js";
import { matrixFunction, multiplyVector, symmetricEigen } from "../math/symmetric-eigen.js";

/** M5's default λ, the covariance's weight in Σ_λ = λΣ + (1 − λ)I. */
export const DEFAULT_MAHALANOBIS_LAMBDA = 0.2;

/** What M5 derives from a pack for one λ: A = Σ_λ^{1/2}, Σ_λ^{−1/2} (for d_RM), and Σ_λ's smallest eigenvalue. */
export interface MahalanobisFactors {
  lambda: number;
  /** Σ_λ^{1/2}, d x d row-major. */
  sqrt: Float64Array;
  /** Σ_λ^{−1/2}, d x d row-major. */
  inverseSqrt: Float64Array;
  /** Smallest eigenvalue of Σ_λ (at least 1 − λ). */
  minEigenvalue: number;
}

const cache = new WeakMap<Embedding, Map<number, MahalanobisFactors>>();

/** The factors for (pack, λ), computed once and kept with the embedding. */
export function mahalanobisFactors(e: Embedding, lambda = DEFAULT_MAHALANOBIS_LAMBDA): MahalanobisFactors {
  let byLambda = cache.get(e);
  if (!byLambda) cache.set(e, (byLambda = new Map()));
  let f = byLambda.get(lambda);
  if (!f) byLambda.set(lambda, (f = computeFactors(e, lambda)));
  return f;
}

function computeFactors(e: Embedding, lambda: number): MahalanobisFactors {
  const d = e.d;
  const sigma = normalisedCovariance(e);
  for (let i = 0; i < d * d; i++) sigma[i] = lambda * sigma[i]!;
  for (let i = 0; i < d; i++) sigma[i * d + i] = sigma[i * d + i]! + (1 - lambda);
  const eig = symmetricEigen(sigma, d);
  // Σ_λ is positive definite (its eigenvalues are at least 1 − λ > 0); clamp rounding only.
  const floor = (1 - lambda) * (1 - 1e-12);
  return {
    lambda,
    sqrt: matrixFunction(eig, d, (x) => Math.sqrt(Math.max(x, floor))),
    inverseSqrt: matrixFunction(eig, d, (x) => 1 / Math.sqrt(Math.max(x, floor))),
    minEigenvalue: Math.min(...eig.values),
  };
}

/**
 * Σ: the sample covariance of the vectors (dimensions as variables, ddof 1)
 * divided by the variance of all n·d entries (ddof 0, as numpy's var), in float64.
 */
export function normalisedCovariance(e: Pick<Embedding, "n" | "d" | "vectors">): Float64Array {
  const { n, d, vectors: v } = e;
  const mean = new Float64Array(d);
  for (let w = 0; w < n; w++) for (let k = 0; k < d; k++) mean[k] = mean[k]! + v[w * d + k]!;
  for (let k = 0; k < d; k++) mean[k] = mean[k]! / n;
  const cov = new Float64Array(d * d);
  const x = new Float64Array(d);
  for (let w = 0; w < n; w++) {
    for (let k = 0; k < d; k++) x[k] = v[w * d + k]! - mean[k]!;
    for (let i = 0; i < d; i++) {
      const xi = x[i]!;
      const row = i * d;
      for (let j = i; j < d; j++) cov[row + j] = cov[row + j]! + xi * x[j]!;
    }
  }
  let grand = 0;
  for (let k = 0; k < d; k++) grand += mean[k]!;
  grand /= d;
  let sumSq = 0;
  for (let i = 0; i < n * d; i++) sumSq += (v[i]! - grand) ** 2;
  const scalarVariance = sumSq / (n * d);
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) cov[i * d + j] = cov[j * d + i] = cov[i * d + j]! / (n - 1) / scalarVariance;
  return cov;
}

/** The noisy points φ(w) + r·A·u for every id, noise drawn in text order (M1's draws, then A applied). */
export function mahalanobisPoints(backend: Backend, ids: Int32Array, epsilon: number, f: MahalanobisFactors): Float64Array {
  const e = backend.embedding;
  const d = e.d;
  const points = new Float64Array(ids.length * d);
  const z = new Float64Array(d);
  ids.forEach((w, i) => {
    multiplyVector(f.sqrt, backend.laplaceNoise(epsilon), d, z);
    for (let k = 0; k < d; k++) points[i * d + k] = e.vectors[w * d + k]! + z[k]!;
  });
  return points;
}

/** M5 for every id: the nearest word to each noisy point. */
export function mahalanobisMechanism(backend: Backend, ids: Int32Array, epsilon: number, f: MahalanobisFactors): Int32Array {
  return backend.nearestWords(mahalanobisPoints(backend, ids, epsilon, f), ids.length);
}

/** d_RM(a, b) = ‖Σ_λ^{−1/2}(φ(a) − φ(b))‖: the metric M5's ε is stated in. */
export function mahalanobisDistance(e: Pick<Embedding, "d" | "vectors">, f: MahalanobisFactors, a: number, b: number): number {
  const d = e.d;
  const diff = Float64Array.from({ length: d }, (_, k) => e.vectors[a * d + k]! - e.vectors[b * d + k]!);
  const y = multiplyVector(f.inverseSqrt, diff, d);
  let s = 0;
  for (let k = 0; k < d; k++) s += y[k]! ** 2;
  return Math.sqrt(s);
}
