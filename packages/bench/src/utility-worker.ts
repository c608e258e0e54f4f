// A worker thread of the utility benchmark: opens its own Veil and datasets from
// the config it is started with, then runs the jobs it is sent, one at a time.
import { parentPort, workerData } from "node:worker_threads";
import { JobRunner, type Job, type RunnerConfig } from "./utility-jobs.js";

const runner = await JobRunner.open(workerData as RunnerConfig);
parentPort!.postMessage({ ready: runner.summaries() });
parentPort!.on("message", (m: { id: number; job: Job } | "close") => {
  if (m === "close") {
    runner.dispose();
    parentPort!.close();
    return;
  }
  try {
    parentPort!.postMessage({ id: m.id, result: runner.run(m.job) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
