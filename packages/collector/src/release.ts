// Releasing a batch (docs/collection.md, "Releases"): only with the task's
// analyst token, at most once per batch, only when the batch holds the task's
// minimum number of valid reports, at the task's epsilon, no more often than the
// task's schedule allows. Each collector adds its own noise share (the
// distributed discrete Laplace of @veil/core's noiseShare, taken into Prio3's
// field) to its aggregate share before it leaves; a caller chooses nothing.
import { noiseShare } from "@veil/core";
import { addSignedToField, aggregateSensitivity, encodeAggregateShare, toBase64, vdafFor, type ReleaseSchedule } from "@veil/task";
import { HttpError } from "./http.js";
import { coarseHour, type BatchRow, type Release, type ReportStore, type StoredTask } from "./store.js";

const SCHEDULE_SECONDS: Record<ReleaseSchedule, number> = { manual: 0, hourly: 3600, daily: 86_400, weekly: 604_800 };

/** Refuses a release the task's schedule does not allow yet. */
export function checkSchedule(task: StoredTask, now = Date.now()): void {
  const wait = SCHEDULE_SECONDS[task.task.schedule] * 1000;
  if (task.lastRelease !== null && now - task.lastRelease < wait) {
    const next = new Date(task.lastRelease + wait).toISOString();
    throw new HttpError(429, `task ${task.id} is released ${task.task.schedule}; the next release is allowed from ${next}.`, {
      "Retry-After": String(Math.ceil((task.lastRelease + wait - now) / 1000)),
    });
  }
}

/** Refuses a batch below the task's minimum size. */
export function checkBatchSize(task: StoredTask, batch: number, count: number): void {
  if (count < task.task.minBatchSize)
    throw new HttpError(409, `batch ${batch} holds ${count} valid reports; task ${task.id} releases only batches of at least ${task.task.minBatchSize}.`);
}

/** This collector's noised aggregate shares for a batch: each field element plus a fresh noise share. */
export function noisedShares(task: StoredTask, batch: BatchRow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of task.task.aggregates) {
    const vdaf = vdafFor(a);
    const options = { epsilon: a.epsilon, sensitivity: aggregateSensitivity(a), servers: 2 };
    const noised = (batch.aggregate?.[a.id] ?? []).map((x) => addSignedToField(vdaf, BigInt(x), BigInt(noiseShare(options))));
    out[a.id] = toBase64(encodeAggregateShare(vdaf, noised));
  }
  return out;
}

/**
 * Releases a batch on this collector and records it in the same transaction,
 * under the task's row lock, so its noise is drawn once even when two
 * processes try at the same moment: a second call for the same batch returns
 * the stored release and draws nothing. The leader releases its open batch
 * (`batchNo` omitted); the helper the batch the leader released.
 */
export function releaseBatch(store: ReportStore, taskId: string, role: Release["role"], batchNo?: number, expectedCount?: number): Promise<Release> {
  return store.transaction(async (q) => {
    const task = await q.lockTask(taskId);
    if (!task) throw new HttpError(404, `this collector holds no task ${taskId}.`);
    const number = batchNo ?? task.openBatch;
    const batch = await q.getBatch(task.id, number);
    if (batch?.released) {
      if (expectedCount !== undefined && batch.released.count !== expectedCount)
        throw new HttpError(409, `batch ${number} was released here with ${batch.released.count} reports, not ${expectedCount}.`);
      return batch.released;
    }
    checkSchedule(task);
    const count = batch?.count ?? 0;
    if (expectedCount !== undefined && count !== expectedCount)
      throw new HttpError(
        409,
        `batch ${number} holds ${count} valid reports here but ${expectedCount} on the leader: a preparation is unfinished; try again shortly.`,
      );
    checkBatchSize(task, number, count);
    const release: Release = {
      task: task.id,
      batch: number,
      count,
      role,
      epsilon: Object.fromEntries(task.task.aggregates.map((a) => [a.id, a.epsilon])),
      shares: noisedShares(task, batch!),
      at: coarseHour(),
    };
    await q.recordRelease(release);
    return release;
  });
}
