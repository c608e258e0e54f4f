// Randomized response (docs/mechanisms.md, "Local-DP primitives"): the respondent's device
// reports the truth with probability p and otherwise a uniformly random other
// value; the collector turns the noisy counts back into unbiased frequencies.
import { InvalidOptionError } from "../errors.js";
import { checkEpsilon } from "../mechanisms/options.js";
import { streamFor, uniformIndex, type RandomOptions } from "./random.js";

/**
 * The coin protocol of "Computing on private data": flip a coin; heads, answer
 * truthfully; tails, flip again and answer yes on heads. The truth comes out with
 * probability 3/4, so epsilon = ln 3.
 */
export const COIN_PROTOCOL_EPSILON = Math.log(3);

/** Probability of reporting the true value: e^eps / (e^eps + k - 1), as 1 / (1 + (k - 1) e^-eps) so it never overflows. */
export function truthProbability(epsilon: number, k = 2): number {
  checkEpsilon(epsilon);
  checkCategories(k);
  return 1 / (1 + (k - 1) * Math.exp(-epsilon));
}

/** Binary randomized response: epsilon-LDP for one yes/no answer. */
export function randomizedResponse(value: boolean, epsilon: number, options?: RandomOptions): boolean {
  if (typeof value !== "boolean") throw new InvalidOptionError(`randomizedResponse takes a boolean answer, got ${typeof value}.`);
  return kAryResponse(value ? 1 : 0, 2, epsilon, options) === 1;
}

/**
 * Generalized (k-ary) randomized response over categories 0..k-1: the true
 * category with probability p = e^eps/(e^eps + k - 1), otherwise one of the
 * other k - 1 uniformly. Exactly one uniform is drawn for the coin and one for
 * the other category, whatever the answer, so the number of random bytes used
 * does not depend on the input.
 */
export function kAryResponse(value: number, k: number, epsilon: number, options?: RandomOptions): number {
  checkCategories(k);
  if (!Number.isInteger(value) || value < 0 || value >= k)
    throw new InvalidOptionError(`the answer must be an integer category in [0, ${k - 1}], got ${String(value)}.`);
  const p = truthProbability(epsilon, k);
  const s = streamFor(options);
  const keep = s.next() < p;
  const other = uniformIndex(s, k - 1); // one of the k - 1 other categories, skipping `value`
  if (keep) return value;
  return other >= value ? other + 1 : other;
}

/** The collector's estimate of how common one value is among the respondents, from randomized-response reports. */
export interface FrequencyEstimate {
  /** Unbiased estimate of the true share of respondents with this value (may fall outside [0, 1]). */
  estimate: number;
  /** Unbiased estimate of the estimator's variance. */
  variance: number;
  standardError: number;
  /** Confidence interval for the true share, clipped to [0, 1]. */
  interval: [number, number];
  confidence: number;
  /** Reports counted. */
  total: number;
}

/** What `estimateFrequency` needs: the count of reports of a value, the total, and the mechanism's epsilon and k. */
export interface FrequencyEstimateInput {
  /** How many reports said this value. */
  count: number;
  /** How many reports in all. */
  total: number;
  epsilon: number;
  /** Number of categories (2 for yes/no). */
  k?: number;
  /** Confidence level of the interval, default 0.95. */
  confidence?: number;
}

/**
 * The collector's estimator: with q = (1 - p)/(k - 1) the chance of a false
 * report of this value, E[c/N] = f p + (1 - f) q, so f^ = (c/N - q)/(p - q).
 * For the coin protocol (p = 3/4, q = 1/4) this is 2c/N - 1/2.
 *
 * f is the share in the population the respondents are drawn from. Then c is
 * binomial, so Var(f^) = pi (1 - pi) / (N (p - q)^2) with pi = E[c/N], and
 * pi^ (1 - pi^)/(N - 1) estimates pi (1 - pi)/N without bias. (For the share
 * among exactly these N respondents the variance is smaller by f (1 - f)/N, so
 * the interval is then conservative.)
 * Interval (a choice no source fixes): the Wilson score interval for pi,
 * mapped through the same linear map. Wilson keeps its coverage for small N and
 * extreme shares where the plain normal interval does not, and a monotone map
 * keeps coverage; the ends are then clipped to [0, 1], which cannot lower it.
 */
export function estimateFrequency(input: FrequencyEstimateInput): FrequencyEstimate {
  const { count, total } = input;
  const k = input.k ?? 2;
  const confidence = input.confidence ?? 0.95;
  if (!Number.isInteger(total) || total < 1) throw new InvalidOptionError(`total must be a positive integer, got ${String(total)}.`);
  if (!Number.isInteger(count) || count < 0 || count > total) throw new InvalidOptionError(`count must be an integer in [0, total], got ${String(count)}.`);
  if (!(confidence > 0 && confidence < 1)) throw new InvalidOptionError(`confidence must be in (0, 1), got ${String(confidence)}.`);
  const p = truthProbability(input.epsilon, k);
  const q = (1 - p) / (k - 1);
  const gap = p - q;
  const pi = count / total;
  const estimate = (pi - q) / gap;
  const variance = total > 1 ? (pi * (1 - pi)) / (total - 1) / (gap * gap) : Infinity;
  const z = normalQuantile(0.5 + confidence / 2);
  const [lo, hi] = wilsonInterval(count, total, z);
  const clip = (x: number) => Math.min(1, Math.max(0, x));
  return { estimate, variance, standardError: Math.sqrt(variance), interval: [clip((lo - q) / gap), clip((hi - q) / gap)], confidence, total };
}

/** Wilson score interval for a binomial proportion. */
export function wilsonInterval(k: number, n: number, z: number): [number, number] {
  const p = k / n;
  const z2 = z * z;
  const den = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / den;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(prob: number): number {
  if (!(prob > 0 && prob < 1)) throw new InvalidOptionError(`a probability in (0, 1) is needed, got ${prob}.`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  let x: number;
  if (prob < lowTail) {
    const q = Math.sqrt(-2 * Math.log(prob));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (prob <= 1 - lowTail) {
    const q = prob - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - prob));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  return x;
}

function checkCategories(k: number): void {
  if (!Number.isInteger(k) || k < 2 || k > 1_000_000)
    throw new InvalidOptionError(`k (number of categories) must be an integer from 2 to 1,000,000, got ${String(k)}.`);
}
