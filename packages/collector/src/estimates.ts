// What the analyst sees: unbiased estimates with confidence intervals, computed
// from the privatized reports only (the collector never sees a raw answer).
import { estimateFrequency, estimateMean } from "@veil/core";
import type { ReportStore } from "./store.js";

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

export function estimates(store: ReportStore, confidence = 0.95): QuestionEstimate[] {
  return store.answerGroups().map((g): QuestionEstimate => {
    const total = g.values.length;
    if (g.type === "rr") {
      const k = g.k!;
      const labels = g.labels ? (JSON.parse(g.labels) as string[]) : [];
      const categories = Array.from({ length: k }, (_, value) => {
        const reported = g.values.filter((v) => v === value).length;
        const e = estimateFrequency({ count: reported, total, epsilon: g.epsilon, k, confidence });
        return { value, label: labels[value] ?? String(value), reported, estimate: e.estimate, interval: e.interval };
      });
      return { question: g.question, type: "rr", k, epsilon: g.epsilon, total, categories };
    }
    const opts = { lower: g.lower!, upper: g.upper!, step: g.step!, epsilon: g.epsilon, confidence };
    const m = estimateMean(g.values, opts);
    return {
      question: g.question,
      type: "bounded",
      lower: opts.lower,
      upper: opts.upper,
      step: opts.step,
      epsilon: g.epsilon,
      total,
      mean: m.mean,
      interval: m.interval,
    };
  });
}
