// A worker_threads worker running one range of the vocabulary's query blocks of the
// symmetric k-NN build (each pair once; @veil/core's knn-symmetric.ts) with the
// WebAssembly backend, and returning a float32 shortlist for every row. Vectors
// arrive in a SharedArrayBuffer.
import { parentPort, workerData } from "node:worker_threads";
import { createWasmBackend, type Embedding } from "@veil/core";

interface Job {
  vectors: Float32Array;
  n: number;
  d: number;
  K: number;
  rowStart: number;
  rowEnd: number;
}

const job = workerData as Job;
const e: Embedding = {
  n: job.n,
  d: job.d,
  words: [],
  vectors: job.vectors,
  neighbours: null,
  K: 0,
  dMin: 1,
  dMax: 1,
  metadata: {},
  sha256: "",
  index: new Map(),
};
const backend = await createWasmBackend(e);
let last = 0;
const res = backend.knnSymmetricPart(job.K, job.rowStart, job.rowEnd, (done) => {
  if (done - last >= 256 || done === job.rowEnd - job.rowStart) {
    parentPort!.postMessage({ type: "progress", done: done - last });
    last = done;
  }
});
parentPort!.postMessage({ type: "result", res }, [res.heapD.buffer, res.heapI.buffer, res.rowMax.buffer, res.rowArg.buffer] as ArrayBuffer[]);
