// How far this machine lets two threads go past one, measured on the bounds
// themselves: the SIMD multiply-add loop and crypto.getRandomValues (bounds.wasm
// and the same 64 KiB calls as speed.ts), run by one worker alone and then by two
// at once, started together. No code of Veil's is involved, so a two-thread
// speed-up of Veil's can be read against what the hardware gives the same work.
import { Worker } from "node:worker_threads";

/** One kind of work, one worker alone and two at once: throughput of two over one (2.0 is perfect). */
export interface ThreadScaling {
  work: "multiply-add" | "random bytes";
  oneMs: number;
  twoMs: number;
  /** 2 · oneMs / twoMs, the best of the interleaved runs. */
  ratio: number;
}

const WORK = ["multiply-add", "random bytes"] as const;

/** Each kind of work on one worker, then two, `runs` times interleaved; each keeps its best ratio. */
export async function measureThreadScaling(quick: boolean, runs = 3): Promise<ThreadScaling[]> {
  const out: ThreadScaling[] = [];
  for (const work of WORK) {
    let best: ThreadScaling | null = null;
    for (let r = 0; r < runs; r++) {
      const oneMs = await runAtOnce(1, work, quick);
      const twoMs = await runAtOnce(2, work, quick);
      const ratio = (2 * oneMs) / twoMs;
      if (!best || ratio > best.ratio) best = { work, oneMs, twoMs, ratio };
    }
    out.push(best!);
  }
  return out;
}

/** `n` workers each ready with the work, released together through one shared flag; the slowest one's time. */
function runAtOnce(n: number, work: ThreadScaling["work"], quick: boolean): Promise<number> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const workers = Array.from(
    { length: n },
    () => new Worker(new URL("./thread-scaling-worker.js", import.meta.url), { workerData: { flag: flag.buffer, work, quick } }),
  );
  return new Promise((resolve, reject) => {
    let ready = 0;
    const times: number[] = [];
    for (const w of workers) {
      w.on("error", reject);
      w.on("message", (m: "ready" | number) => {
        if (m === "ready") {
          if (++ready === n) (Atomics.store(flag, 0, 1), Atomics.notify(flag, 0));
          return;
        }
        times.push(m);
        void w.terminate();
        if (times.length === n) resolve(Math.max(...times));
      });
    }
  });
}
