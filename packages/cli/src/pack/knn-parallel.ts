import os from "node:os";
import { Worker } from "node:worker_threads";
import type { KnnResult } from "@veil/core";
import type { NeighbourTable } from "@veil/core";
import { mergeKnn, toShared } from "@veil/core/internal";

/**
 * Exact k-NN table over all cores: the vocabulary's rows are split into one
 * contiguous range per worker thread, each running the WebAssembly kernel.
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
  const parts = Math.min(threads, Math.ceil(n / 64));
  let done = 0;
  const results = await Promise.all(
    Array.from({ length: parts }, (_, i) => {
      const rowStart = Math.floor((i * n) / parts),
        rowEnd = Math.floor(((i + 1) * n) / parts);
      return new Promise<KnnResult>((resolve, reject) => {
        const w = new Worker(new URL("./knn-worker.js", import.meta.url), { workerData: { vectors: shared, n, d, K, rowStart, rowEnd } });
        w.on("message", (m: { type: string; done?: number; res?: KnnResult }) => {
          if (m.type === "progress") onProgress?.((done += m.done!), n);
          else resolve(m.res!);
        });
        w.on("error", reject);
        w.on("exit", (code) => code !== 0 && reject(new Error(`k-NN worker exited with code ${code}`)));
      });
    }),
  );
  return mergeKnn(results, n, K);
}
