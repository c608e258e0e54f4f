// The exponential mechanism for a choice among options (docs/mechanisms.md, "Local-DP
// primitives"): P(option i) proportional to exp(epsilon * score_i / (2 * sensitivity)),
// sampled by Gumbel-max: add a standard Gumbel to each scaled score, take the
// largest (ties to the lower index).
import { InvalidOptionError } from "../errors.js";
import { checkEpsilon } from "../mechanisms/options.js";
import { gumbel } from "../random/samplers.js";
import { streamFor, type RandomOptions } from "./random.js";

/** The exponential mechanism for choices: epsilon and the scores' sensitivity. */
export interface ChoiceOptions extends RandomOptions {
  epsilon: number;
  /** Largest change in any option's score when one person's data changes. */
  sensitivity: number;
}

/** Index of the chosen option. Draws one uniform per option, whatever the scores. */
export function exponentialChoice(scores: readonly number[], options: ChoiceOptions): number {
  const scale = checkChoice(scores, options);
  const s = streamFor(options);
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const v = scale * scores[i]! + gumbel(s);
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** The exact output law of exponentialChoice (softmax of the scaled scores, computed stably). */
export function choiceProbabilities(scores: readonly number[], options: Omit<ChoiceOptions, "random">): Float64Array {
  const scale = checkChoice(scores, options);
  let max = -Infinity;
  for (const x of scores) max = Math.max(max, scale * x);
  const out = new Float64Array(scores.length);
  let z = 0;
  for (let i = 0; i < scores.length; i++) z += out[i] = Math.exp(scale * scores[i]! - max);
  for (let i = 0; i < scores.length; i++) out[i]! /= z;
  return out;
}

function checkChoice(scores: readonly number[], options: Omit<ChoiceOptions, "random">): number {
  if (!Array.isArray(scores) || scores.length < 1) throw new InvalidOptionError("exponentialChoice needs at least one option score.");
  for (const x of scores)
    if (typeof x !== "number" || !Number.isFinite(x)) throw new InvalidOptionError(`every score must be a finite number, got ${String(x)}.`);
  const epsilon = checkEpsilon(options.epsilon);
  if (!(typeof options.sensitivity === "number" && Number.isFinite(options.sensitivity) && options.sensitivity > 0))
    throw new InvalidOptionError(`sensitivity must be a finite positive number, got ${String(options.sensitivity)}.`);
  return epsilon / (2 * options.sensitivity);
}
