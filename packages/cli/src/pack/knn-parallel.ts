import os from "node:os";
import { Worker } from "node:worker_threads";
import type { Embedding, NeighbourTable } from "@veil/core";
import { finishSymmetric, mergeKnn, symmetricRanges, toShared, type SymmetricShortlists } from "@veil/core/internal";

/**
 * Exact k-NN table over all cores, each pair's distance computed once (@veil/core's
 * knn-symmetric.ts): the vocabulary's query blocks are split into one range per worker
 * thread with about equal work, each worker runs the WebAssembly kernel on its blocks and
 * returns a float32 shortlist for every row, and the shortlists are merged and made exact here.
 */
export async function buildNeighbourTableParallel(
  vectors: Float32Array,
  n: number,
  d: number,
  K: number,
  onProgress?: (done: number, total: number) => void,
  threads = Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
): Promise<NeighbourTable> {
  const shared = toShared(vectors);
  const ranges = symmetricRanges(n, Math.min(threads, Math.ceil(n / 64)));
  let done = 0;
  const parts = await Promise.all(
    ranges.map(
      ([rowStart, rowEnd]) =>
        new Promise<SymmetricShortlists>((resolve, reject) => {
          const w = new Worker(new URL("./knn-worker.js", import.meta.url), { workerData: { vectors: shared, n, d, K, rowStart, rowEnd } });
          w.on("message", (m: { type: string; done?: number; res?: SymmetricShortlists }) => {
            if (m.type === "progress") onProgress?.((done += m.done!), n);
            else resolve(m.res!);
          });
          w.on("error", reject);
          w.on("exit", (code) => code !== 0 && reject(new Error(`k-NN worker exited with code ${code}`)));
        }),
    ),
  );
  const e = { n, d, vectors: shared } as Pick<Embedding, "n" | "d" | "vectors"> as Embedding;
  return mergeKnn([finishSymmetric(e, parts, K)], n, K);
}
