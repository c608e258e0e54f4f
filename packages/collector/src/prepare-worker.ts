// The worker thread that runs Prio3 preparation (milliseconds of BigInt work per
// report) off the collector's event loop, so intake and the dashboard keep
// answering while a job runs. Messages: one job in, one array of results out.
import { parentPort } from "node:worker_threads";
import { Buffer } from "node:buffer";
import { prepareReport, type PrepareRequest, type PrepareResult } from "./prepare.js";

parentPort!.on("message", async ({ seq, jobs }: { seq: number; jobs: PrepareRequest[] }) => {
  const results: PrepareResult[] = [];
  for (const j of jobs) {
    try {
      const peer = j.peerShares && Object.fromEntries(Object.entries(j.peerShares).map(([k, v]) => [k, Buffer.from(v, "base64")]));
      const p = await prepareReport(j.taskId, j.task, j.role, j.peerToken, j.row, peer);
      results.push({
        ok: true,
        shares: Object.fromEntries(Object.entries(p.shares).map(([k, v]) => [k, v.toString("base64")])),
        ...(p.outputs ? { outputs: p.outputs } : {}),
      });
    } catch (e) {
      results.push({ ok: false, error: (e as Error).message });
    }
  }
  parentPort!.postMessage({ seq, results });
});
