// A fixed pool of worker threads that run independent jobs, longest first, and
// report each result as it arrives. A worker that fails or dies fails the run
// with its reason: a benchmark with holes in it would be misleading.
import { Worker } from "node:worker_threads";

export interface PoolOptions<J, R, S> {
  worker: URL;
  workerData: unknown;
  threads: number;
  jobs: readonly J[];
  /** Estimated cost of a job: the most expensive ones are handed out first. */
  cost?: (job: J) => number;
  onReady?: (info: S) => void;
  onResult: (job: J, result: R) => void;
}

export async function runPool<J, R, S>(o: PoolOptions<J, R, S>): Promise<void> {
  const queue = o.jobs.map((job, id) => ({ id, job }));
  if (o.cost) queue.sort((a, b) => o.cost!(b.job) - o.cost!(a.job));
  const threads = Math.max(1, Math.min(o.threads, queue.length));
  let readyOnce = false;
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(o.worker, { workerData: o.workerData });
          let current: { id: number; job: J } | undefined;
          let finished = false;
          const fail = (why: string): void => {
            if (finished) return;
            finished = true;
            queue.length = 0;
            void w.terminate();
            reject(new Error(why));
          };
          const next = (): void => {
            current = queue.shift();
            if (current) w.postMessage(current);
            else {
              finished = true;
              w.postMessage("close");
              resolve();
            }
          };
          w.on("message", (m: { ready?: S; id?: number; result?: R; error?: string }) => {
            if (m.ready !== undefined) {
              if (!readyOnce) ((readyOnce = true), o.onReady?.(m.ready));
              return next();
            }
            if (m.error !== undefined) return fail(`job ${JSON.stringify(current?.job)} failed: ${m.error}`);
            o.onResult(current!.job, m.result as R);
            next();
          });
          w.on("error", (e) => fail(`a benchmark worker failed: ${e.message}`));
          w.on("exit", (code) => (code !== 0 ? fail(`a benchmark worker exited with code ${code}`) : undefined));
        }),
    ),
  );
}
