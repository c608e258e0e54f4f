// The adversary's view (docs/attack.md): how often the Bayes-optimal attacker
// recovers the original word from one privatized word. The attacker knows the
// mechanism, its setting, the public embedding and a prior over input words;
// seeing output y it guesses argmax_x prior(x) * P(y | x). Its success is
//   R  = sum_y max_x prior(x) P(y | x)
//   Rk = sum_y (sum of the k largest prior(x) P(y | x) over x)   (the input among its k best guesses)
// next to the prior's own baseline (always guess the likeliest word).
//
// Exact where the output law is known: M2 and M3 are dense (one distance row per
// input word, through the backend's kernel; M3 is M2 with distances capped at
// TEM's radius), M4 is sparse (its output lies among the K + 1 nearest words, so
// only reverse neighbours compete for an output). M1 has no closed-form law, so
// P(y | x) is estimated from samples (see sampledRate).
import type { Backend } from "../backends/backend.js";
import { InvalidOptionError } from "../errors.js";
import { exactLaw, privatizeIds, type Prepared } from "../mechanisms/run.js";
import { temRadius } from "../mechanisms/tem.js";
import { lookupKey, tokenize } from "../text/tokenize.js";

/** How an attack is computed. */
export interface AttackOptions {
  /**
   * The attacker's prior over input words: weights per vocabulary id (length n,
   * any non-negative scale), e.g. a corpus's token counts; or "uniform".
   */
  prior?: Float64Array | "uniform";
  /**
   * Inputs considered: the `words` likeliest under the prior (for "uniform",
   * the first `words` ids of the pack). The prior is renormalised over them, so
   * the attacker also knows the input is among them: R is then an upper bound
   * of R under the whole prior. Default 1,000.
   */
  words?: number;
  /** The attacker's number of guesses for the top-k rate. Default 5. */
  k?: number;
  /** M1 only: privatized draws per input word (half build the attacker's estimate, half test it). Default 200. */
  samples?: number;
}

/** The attacker's success at one mechanism and setting. */
export interface AttackResult {
  /** P(the attacker's guess is the input). */
  R: number;
  /** P(the input is among the attacker's k best guesses). */
  Rk: number;
  k: number;
  /** The prior alone: always guessing the likeliest word (and its k likeliest). */
  baseline: { R: number; Rk: number };
  /** Input words considered, and the share of the prior's mass they carry. */
  inputs: number;
  priorCoverage: number;
  /** True when computed from the exact law (M2-M4, M7-M9). */
  exact: boolean;
  /**
   * Sampled (M1): R and Rk are the held-out success of the attacker built from
   * half the draws (an attack that achieves it); `bounds` runs from that minus
   * two standard errors to the plug-in estimate (upward-biased) plus two.
   */
  sampled?: { samples: number; bounds: [number, number]; boundsK: [number, number] };
}

/** The inputs and their renormalised prior: the `words` likeliest ids. */
export function attackInputs(n: number, prior: Float64Array | "uniform", words: number): { ids: Int32Array; p: Float64Array; coverage: number } {
  if (!(Number.isInteger(words) && words >= 1)) throw new InvalidOptionError(`words must be a positive integer, got ${String(words)}.`);
  const m = Math.min(words, n);
  if (prior === "uniform") return { ids: Int32Array.from({ length: m }, (_, i) => i), p: new Float64Array(m).fill(1 / m), coverage: m / n };
  if (prior.length !== n || prior.some((x) => !(x >= 0) || !Number.isFinite(x)))
    throw new InvalidOptionError(`prior must hold ${n} finite non-negative weights, one per vocabulary word.`);
  const order = Array.from({ length: n }, (_, i) => i)
    .filter((i) => prior[i]! > 0)
    .sort((a, b) => prior[b]! - prior[a]! || a - b)
    .slice(0, m);
  if (order.length === 0) throw new InvalidOptionError("prior has no word with positive weight.");
  const total = prior.reduce((s, x) => s + x, 0);
  const kept = order.reduce((s, i) => s + prior[i]!, 0);
  return { ids: Int32Array.from(order), p: Float64Array.from(order, (i) => prior[i]! / kept), coverage: kept / total };
}

/**
 * Per output word, the k largest values offered so far (and whose they are):
 * what the attacker ranks when it sees that output.
 */
export class TopPerOutput {
  readonly values: Float64Array;
  readonly owners: Int32Array;
  constructor(
    readonly n: number,
    readonly k: number,
  ) {
    this.values = new Float64Array(n * k);
    this.owners = new Int32Array(n * k).fill(-1);
  }
  /** Offers value v from input x at output y. */
  offer(y: number, v: number, x: number): void {
    const k = this.k;
    const base = y * k;
    const vals = this.values;
    if (v <= vals[base + k - 1]!) return;
    let i = base + k - 1;
    while (i > base && vals[i - 1]! < v) {
      vals[i] = vals[i - 1]!;
      this.owners[i] = this.owners[i - 1]!;
      i--;
    }
    vals[i] = v;
    this.owners[i] = x;
  }
  /** sum_y of the best value, and of the k best. */
  rates(): { R: number; Rk: number } {
    let R = 0;
    let Rk = 0;
    for (let y = 0; y < this.n; y++) {
      R += this.values[y * this.k]!;
      for (let j = 0; j < this.k; j++) Rk += this.values[y * this.k + j]!;
    }
    return { R, Rk };
  }
}

/** The attacker's success at a prepared mechanism: exact where the law is known (M2-M4, M7-M9); sampled for M1, M5, M6, M10. */
export function reconstructionRate(backend: Backend, prepared: Prepared, options: AttackOptions = {}): AttackResult {
  const n = backend.embedding.n;
  const k = options.k ?? 5;
  if (!(Number.isInteger(k) && k >= 1 && k <= 100)) throw new InvalidOptionError(`k must be an integer from 1 to 100, got ${String(k)}.`);
  const { ids, p, coverage } = attackInputs(n, options.prior ?? "uniform", options.words ?? 1000);
  const sorted = [...p].sort((a, b) => b - a);
  const baseline = { R: sorted[0]!, Rk: sorted.slice(0, k).reduce((s, x) => s + x, 0) };
  const top = new TopPerOutput(n, k);
  const common = { k, baseline, inputs: ids.length, priorCoverage: coverage };
  switch (prepared.kind) {
    case "exponential":
    case "tem":
      denseRates(backend, prepared, ids, p, top);
      return { ...top.rates(), ...common, exact: true };
    case "gumbel":
    case "santext":
    case "custext":
    case "diffractor":
      ids.forEach((x, i) => {
        const law = exactLaw(backend, x, prepared)!;
        law.support.forEach((y, j) => top.offer(y, p[i]! * law.probs[j]!, x));
      });
      return { ...top.rates(), ...common, exact: true };
    default:
      // M1, M5, M6, M10: no closed-form law.
      return { ...sampledRate(backend, prepared, ids, p, k, options.samples ?? 200), ...common, exact: false };
  }
}

/**
 * M2 and M3 from each input's distance row: P(y | x) proportional to
 * exp(-epsilon * d(x, y) / 2), with d capped at TEM's radius for M3 (every word
 * outside the radius has the catch-all's share, exp(-epsilon * gamma / 2) / Z).
 */
function denseRates(backend: Backend, prepared: Prepared & { kind: "exponential" | "tem" }, ids: Int32Array, p: Float64Array, top: TopPerOutput): void {
  const half = prepared.epsilon / 2;
  const cap = prepared.kind === "tem" ? temRadius(backend.embedding.n, prepared.epsilon, prepared.beta) : Infinity;
  backend.forEachDistanceRow(ids, (i, row) => {
    let z = 0;
    const w = new Float64Array(row.length);
    for (let y = 0; y < row.length; y++) z += w[y] = Math.exp(-half * Math.min(row[y]!, cap));
    const scale = p[i]! / z;
    for (let y = 0; y < row.length; y++) top.offer(y, w[y]! * scale, ids[i]!);
  });
}

/**
 * M1 by sampling: each input word is privatized `samples` times. The first
 * half of the draws estimates P(y | x) and builds the attacker's guesses; the
 * second half tests them, which gives the success of an attack that exists
 * (unbiased for it, at most the Bayes rate in expectation). The plug-in value,
 * sum_y max_x prior(x) * (count / samples) over all draws, errs upward; the two
 * bracket the Bayes rate as the draws grow (tested on M2, whose law is known).
 */
export function sampledRate(
  backend: Backend,
  prepared: Prepared,
  ids: Int32Array,
  p: Float64Array,
  k: number,
  samples: number,
): Pick<AttackResult, "R" | "Rk" | "sampled"> {
  if (!(Number.isInteger(samples) && samples >= 2)) throw new InvalidOptionError(`samples must be an integer of at least 2, got ${String(samples)}.`);
  const n = backend.embedding.n;
  const halfS = Math.floor(samples / 2);
  const draws = privatizeIds(backend, repeatEach(ids, samples), prepared);
  const build = new TopPerOutput(n, k);
  const plug = new TopPerOutput(n, k);
  ids.forEach((x, i) => {
    const counts = countOutputs(draws, i * samples, i * samples + halfS);
    for (const [y, c] of counts) build.offer(y, (p[i]! * c) / halfS, x);
    for (const [y, c] of countOutputs(draws, i * samples, (i + 1) * samples)) plug.offer(y, (p[i]! * c) / samples, x);
  });
  const test = samples - halfS;
  let R = 0;
  let Rk = 0;
  let varR = 0;
  let varRk = 0;
  ids.forEach((x, i) => {
    let hit = 0;
    let hitK = 0;
    for (let s = halfS; s < samples; s++) {
      const y = draws[i * samples + s]!;
      const owners = build.owners.subarray(y * k, (y + 1) * k);
      // An output the first half never produced: the attacker falls back on the prior's likeliest word.
      if ((owners[0] === -1 ? ids[0] : owners[0]) === x) hit++;
      if (owners.includes(x)) hitK++;
    }
    const r = hit / test;
    const rk = hitK / test;
    R += p[i]! * r;
    Rk += p[i]! * rk;
    varR += (p[i]! * p[i]! * r * (1 - r)) / test;
    varRk += (p[i]! * p[i]! * rk * (1 - rk)) / test;
  });
  const upper = plug.rates();
  const seR = Math.sqrt(varR);
  const seRk = Math.sqrt(varRk);
  return {
    R,
    Rk,
    sampled: {
      samples,
      bounds: [Math.max(0, R - 2 * seR), Math.min(1, upper.R + 2 * seR)],
      boundsK: [Math.max(0, Rk - 2 * seRk), Math.min(1, upper.Rk + 2 * seRk)],
    },
  };
}

/** A corpus prior: how often each vocabulary word occurs among the in-vocabulary tokens of `texts`. */
export function corpusPrior(index: ReadonlyMap<string, number>, n: number, texts: Iterable<string>): Float64Array {
  const counts = new Float64Array(n);
  for (const text of texts)
    for (const t of tokenize(text)) {
      const id = t.wordLike ? index.get(lookupKey(t.text)) : undefined;
      if (id !== undefined) counts[id]!++;
    }
  return counts;
}

function repeatEach(ids: Int32Array, times: number): Int32Array {
  const out = new Int32Array(ids.length * times);
  ids.forEach((x, i) => out.fill(x, i * times, (i + 1) * times));
  return out;
}

function countOutputs(draws: Int32Array, from: number, to: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let s = from; s < to; s++) m.set(draws[s]!, (m.get(draws[s]!) ?? 0) + 1);
  return m;
}
