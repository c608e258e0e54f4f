// M1: the multivariate Laplace mechanism (docs/mechanisms.md, M1, Feyisetan et al. WSDM 2020).
// Noise z = r * u with u uniform on the sphere and r ~ Gamma(d, 1/epsilon), then
// the exact nearest vocabulary word to phi(w) + z. All noise vectors are drawn
// first, in text order; the nearest-word searches then run as one batch.
import type { Backend } from "../backends/backend.js";

export function laplaceMechanism(backend: Backend, ids: Int32Array, epsilon: number): Int32Array {
  return backend.nearestWords(laplacePoints(backend, ids, epsilon), ids.length);
}

/** The noisy points phi(w) + z for every id, noise drawn in text order. */
export function laplacePoints(backend: Backend, ids: Int32Array, epsilon: number): Float64Array {
  const e = backend.embedding;
  const d = e.d;
  const points = new Float64Array(ids.length * d);
  ids.forEach((w, i) => {
    const z = backend.laplaceNoise(epsilon);
    for (let k = 0; k < d; k++) points[i * d + k] = e.vectors[w * d + k]! + z[k]!;
  });
  return points;
}
