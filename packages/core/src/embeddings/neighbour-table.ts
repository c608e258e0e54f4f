import type { Backend, KnnProgress, KnnResult } from "../backends/backend.js";
import type { Embedding } from "./embedding.js";
import type { WasmBackend } from "../backends/wasm.js";
import { finishSymmetric } from "../backends/knn-symmetric.js";

/** The exact K-nearest-neighbour table (ids, row-major) with d_min and d_max and the pairs that attain them. */
export interface NeighbourTable {
  K: number;
  ids: Int32Array;
  /** Smallest distance between two distinct words, and the pair. */
  dMin: number;
  dMinPair: [number, number];
  /** Largest distance between two words, and the pair. */
  dMax: number;
  dMaxPair: [number, number];
  rescanned: number;
}

/** Merges per-range k-NN results (from one backend or several workers) into a table with d_min/d_max. */
export function mergeKnn(parts: KnnResult[], n: number, K: number): NeighbourTable {
  const ids = new Int32Array(n * K);
  let dMin = Infinity,
    dMax = -Infinity,
    rescanned = 0;
  let dMinPair: [number, number] = [0, 0],
    dMaxPair: [number, number] = [0, 0];
  for (const p of parts) {
    ids.set(p.ids, p.rowStart * K);
    rescanned += p.rescanned;
    for (let r = 0; r < p.rows; r++) {
      const w = p.rowStart + r;
      if (p.nearest[r]! < dMin) ((dMin = p.nearest[r]!), (dMinPair = [w, p.ids[r * K]!]));
      if (p.farthest[r]! > dMax) ((dMax = p.farthest[r]!), (dMaxPair = [w, p.farthestId[r]!]));
    }
  }
  return { K, ids, dMin, dMinPair, dMax, dMaxPair, rescanned };
}

/** Exact K-nearest-neighbour table of the whole vocabulary on one backend (one thread). */
export function buildNeighbourTable(backend: Backend, K: number, onProgress?: KnnProgress): NeighbourTable {
  const n = backend.embedding.n;
  const k = Math.min(K, n - 1);
  return mergeKnn([wholeTable(backend, k, onProgress)], n, k);
}

/** Every row's K-NN on a synchronous backend: WebAssembly computes each pair's distance once (backends/knn-symmetric.ts), the others scan. */
function wholeTable(backend: Backend, k: number, onProgress?: KnnProgress): KnnResult {
  const n = backend.embedding.n;
  if (!hasSymmetricKnn(backend)) return backend.knn(k, 0, n, onProgress);
  return finishSymmetric(backend.embedding, [backend.knnSymmetricPart(k, 0, n, onProgress)], k);
}

function hasSymmetricKnn(b: Backend): b is Backend & Pick<WasmBackend, "knnSymmetricPart"> {
  return typeof (b as Partial<WasmBackend>).knnSymmetricPart === "function";
}

/** As `buildNeighbourTable`, on the backend's asynchronous kernels (WebGPU) when it has them. */
export async function buildNeighbourTableAsync(backend: Backend, K: number, onProgress?: KnnProgress): Promise<NeighbourTable> {
  const n = backend.embedding.n;
  const k = Math.min(K, n - 1);
  const part = backend.async && !backend.async.lost ? await backend.async.knn(k, 0, n, onProgress) : wholeTable(backend, k, onProgress);
  return mergeKnn([part], n, k);
}

/** The embedding with `table` as its neighbour table and d_min/d_max. */
export function withNeighbourTable(e: Embedding, table: NeighbourTable): Embedding {
  return { ...e, neighbours: table.ids, K: table.K, dMin: table.dMin, dMax: table.dMax };
}
