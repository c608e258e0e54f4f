// The analyst's combine step: release one batch on both collectors, check they
// released the same batch of the same task with the same count, and add their
// noised aggregate shares. Only these noised totals are ever revealed.
import { aggregateSensitivity, decodeAggregateShare, fieldToSigned, fromBase64, parseTask, taskId as computeTaskId, vdafFor, type Aggregate } from "@veil/task";
import type { Release } from "./store.js";

/** One aggregate of a released batch, as the analyst reads it. */
export type CombinedAggregate =
  | { id: string; type: "sum"; epsilon: number; total: number; mean: number; noiseStdDev: number }
  | { id: string; type: "histogram"; epsilon: number; counts: { label: string; count: number }[]; noiseStdDev: number };

export interface CombinedRelease {
  task: string;
  batch: number;
  count: number;
  aggregates: CombinedAggregate[];
}

async function call(base: string, path: string, token: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new Error(`${base}: ${json.error ?? `HTTP ${res.status}`}`);
  return json;
}

/**
 * Releases the next batch of a task and combines it. If an earlier combine
 * released the leader's batch but not the helper's, that batch is finished
 * first (its stored release is reused; no noise is drawn twice).
 */
export async function combineRelease(leaderUrl: string, helperUrl: string, taskIdHex: string, token: string): Promise<CombinedRelease> {
  const task = parseTask(await call(leaderUrl, `/v1/tasks/${taskIdHex}`, token));
  if ((await computeTaskId(task)) !== taskIdHex) throw new Error("the leader's task does not hash to the id asked for.");
  const [lb, hb] = (await Promise.all([leaderUrl, helperUrl].map((u) => call(u, `/v1/tasks/${taskIdHex}/batches`, token)))) as {
    batches: { batch: number; released: boolean }[];
  }[];
  const helperReleased = new Set(hb!.batches.filter((b) => b.released).map((b) => b.batch));
  const unfinished = lb!.batches.find((b) => b.released && !helperReleased.has(b.batch));
  const leader = (
    unfinished
      ? await call(leaderUrl, `/v1/tasks/${taskIdHex}/releases/${unfinished.batch}`, token)
      : await call(leaderUrl, `/v1/tasks/${taskIdHex}/release`, token, {})
  ) as Release;
  const helper = (await call(helperUrl, `/v1/tasks/${taskIdHex}/release`, token, { batch: leader.batch, count: leader.count })) as Release;
  if (leader.task !== taskIdHex || helper.task !== taskIdHex) throw new Error("a collector released another task.");
  if (leader.role !== "leader" || helper.role !== "helper") throw new Error("give the leader's URL first, then the helper's.");
  if (leader.batch !== helper.batch || leader.count !== helper.count)
    throw new Error(`the collectors released different batches (${leader.batch}/${leader.count} and ${helper.batch}/${helper.count}).`);
  return { task: taskIdHex, batch: leader.batch, count: leader.count, aggregates: task.aggregates.map((a) => combineAggregate(a, leader, helper)) };
}

function combineAggregate(a: Aggregate, leader: Release, helper: Release): CombinedAggregate {
  const vdaf = vdafFor(a);
  const [l, h] = [leader, helper].map((r) => decodeAggregateShare(vdaf, fromBase64(r.shares[a.id], `${r.role}'s share of ${a.id}`)));
  const values = vdaf.flp.field.vecAdd(l!, h!).map((x) => fieldToSigned(vdaf, x));
  const q = Math.exp(-a.epsilon / aggregateSensitivity(a));
  const sd = Math.sqrt(2 * q) / (1 - q); // two-sided geometric noise with rate epsilon/sensitivity
  if (a.type === "histogram")
    return { id: a.id, type: "histogram", epsilon: a.epsilon, counts: a.labels.map((label, i) => ({ label, count: Number(values[i]) })), noiseStdDev: sd };
  const scale = 10 ** a.decimals;
  const total = a.lower * leader.count + Number(values[0]) / scale;
  return { id: a.id, type: "sum", epsilon: a.epsilon, total, mean: total / leader.count, noiseStdDev: sd / scale };
}
