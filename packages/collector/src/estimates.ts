// What the analyst sees of the locally privatized answers: unbiased estimates
// with confidence intervals, from the counts and sums the store keeps per
// question (never from individual reports, which it does not keep).
import { estimateFrequency, estimateMeanFromMoments } from "@veil/core";
import type { StoreQueries, StoredTask } from "./store.js";

export interface CategoryEstimate {
  value: number;
  label: string;
  reported: number;
  estimate: number;
  interval: [number, number];
}

export type QuestionEstimate =
  | { question: string; type: "rr"; k: number; epsilon: number; total: number; categories: CategoryEstimate[] }
  | { question: string; type: "bounded"; lower: number; upper: number; step: number; epsilon: number; total: number; mean: number; interval: [number, number] };

/** Estimates for every question of a task that has answers; the same cost at 100 or 1,000,000 reports. */
export async function estimates(store: StoreQueries, task: StoredTask, confidence = 0.95): Promise<QuestionEstimate[]> {
  const counts = await store.rrCounts(task.id);
  const sums = new Map((await store.boundedSums(task.id)).map((s) => [s.question, s]));
  const out: QuestionEstimate[] = [];
  for (const q of task.task.questions) {
    if (q.type === "rr") {
      const k = q.labels.length;
      const reported = Array.from({ length: k }, (_, v) => counts.find((c) => c.question === q.id && c.value === v)?.n ?? 0);
      const total = reported.reduce((a, b) => a + b, 0);
      if (total === 0) continue;
      const categories = q.labels.map((label, value) => {
        const e = estimateFrequency({ count: reported[value]!, total, epsilon: q.epsilon, k, confidence });
        return { value, label, reported: reported[value]!, estimate: e.estimate, interval: e.interval };
      });
      out.push({ question: q.id, type: "rr", k, epsilon: q.epsilon, total, categories });
    } else {
      const s = sums.get(q.id);
      if (!s || s.n === 0) continue;
      const m = estimateMeanFromMoments(
        { count: s.n, mean: (s.units / s.n) * q.step, sumOfSquaredDeviations: squaredDeviations(s.n, s.units, s.units_sq) * q.step * q.step },
        { lower: q.lower, upper: q.upper, step: q.step, epsilon: q.epsilon, confidence },
      );
      out.push({
        question: q.id,
        type: "bounded",
        lower: q.lower,
        upper: q.upper,
        step: q.step,
        epsilon: q.epsilon,
        total: s.n,
        mean: m.mean,
        interval: m.interval,
      });
    }
  }
  return out;
}

/** Sum of (u - mean)^2 from n, sum u and sum u^2, exactly in integers while they are exact. */
function squaredDeviations(n: number, sum: number, sumSq: number): number {
  if (Number.isSafeInteger(sum) && Number.isSafeInteger(sumSq)) {
    const N = BigInt(n);
    return Number(N * BigInt(sumSq) - BigInt(sum) * BigInt(sum)) / n;
  }
  return sumSq - (sum * sum) / n;
}
