// One worker of thread-scaling.ts: prepares its work, says "ready", waits on the
// shared flag, does the work and posts how long it took (ms).
import { parentPort, workerData } from "node:worker_threads";
import { loadBounds } from "./speed.js";

const { flag, work, quick } = workerData as { flag: SharedArrayBuffer; work: "multiply-add" | "random bytes"; quick: boolean };
const wasm = await loadBounds();
const pool = new Uint8Array(65536);
const iters = quick ? 2_000_000 : 40_000_000;
const calls = quick ? 400 : 8000;
wasm.mulAdd(100_000, 0.9999, 1e-4); // compiled and warm before the clock starts
crypto.getRandomValues(pool);
parentPort!.postMessage("ready");
Atomics.wait(new Int32Array(flag), 0, 0);
const t = performance.now();
if (work === "multiply-add") wasm.mulAdd(iters, 0.9999, 1e-4);
else for (let i = 0; i < calls; i++) crypto.getRandomValues(pool);
parentPort!.postMessage(performance.now() - t);
