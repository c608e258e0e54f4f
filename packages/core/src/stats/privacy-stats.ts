// Privacy statistics of Feyisetan et al. 2020 (docs/mechanisms.md, "Privacy statistics"):
// N_w = P[M(w) = w] and S_w = the number of distinct outputs in N samples,
// estimated by sampling for every mechanism and computed exactly from the output
// law where it is known (M2-M4, M7-M9).
import type { Backend } from "../backends/backend.js";
import { exactLaw, privatizeIds, type Prepared } from "../mechanisms/run.js";

/** One output word and its probability (sampled frequency or exact). */
export interface OutputProbability {
  word: string;
  p: number;
}

/** Plausible deniability of one word (Feyisetan et al.): N_w, the chance it comes out unchanged, and S_w, how many distinct words it becomes in `samples` draws. */
export interface WordStats {
  word: string;
  samples: number;
  sampled: { Nw: number; Sw: number; top: OutputProbability[] };
  /** Present for M2, M3 and M4. `Sw` is the exact expectation E[S_w] for `samples` draws. */
  exact?: { Nw: number; Sw: number; top: OutputProbability[] };
}

export function wordStats(backend: Backend, w: number, p: Prepared, samples = 1000, top = 10): WordStats {
  const e = backend.embedding;
  const outs = privatizeIds(backend, new Int32Array(samples).fill(w), p);
  const counts = new Map<number, number>();
  for (const y of outs) counts.set(y, (counts.get(y) ?? 0) + 1);
  const sampledTop = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, top)
    .map(([y, c]) => ({ word: e.words[y]!, p: c / samples }));
  const res: WordStats = { word: e.words[w]!, samples, sampled: { Nw: (counts.get(w) ?? 0) / samples, Sw: counts.size, top: sampledTop } };
  const law = exactLaw(backend, w, p);
  if (law) res.exact = { Nw: law.prob(w), Sw: law.expectedDistinct(samples), top: law.top(top).map(({ id, p: q }) => ({ word: e.words[id]!, p: q })) };
  return res;
}
