// A worker_threads worker computing the k-NN rows of one range of the vocabulary
// with the WebAssembly backend. Vectors arrive in a SharedArrayBuffer.
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
const res = backend.knn(job.K, job.rowStart, job.rowEnd, (done) => {
  if (done - last >= 256 || done === job.rowEnd - job.rowStart) {
    parentPort!.postMessage({ type: "progress", done: done - last });
    last = done;
  }
});
parentPort!.postMessage({ type: "result", res }, [res.ids.buffer, res.nearest.buffer, res.farthest.buffer, res.farthestId.buffer] as ArrayBuffer[]);
