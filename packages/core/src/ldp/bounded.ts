// Bounded numbers (docs/mechanisms.md, "Local-DP primitives"): clamp to [lower, upper], then
// add discrete Laplace (two-sided geometric) noise on a power-of-two grid.
// Every output is an exact multiple of the grid step, so its low bits carry no
// trace of the input (Mironov 2012's attack on floating-point Laplace).
import { InvalidOptionError } from "../errors.js";
import { checkEpsilon } from "../mechanisms/options.js";
import { normalQuantile } from "./randomized-response.js";
import { streamFor, twoSidedGeometric, type RandomOptions } from "./random.js";

/** A bounded number's range, its epsilon and the grid it is reported on (docs/mechanisms.md, "Local-DP primitives"). */
export interface BoundedOptions extends RandomOptions {
  lower: number;
  upper: number;
  epsilon: number;
  /**
   * Grid step, a power of two. Default: the largest power of two at most
   * (upper - lower)/1024, so the grid is at least 1024 steps wide and rounding
   * adds little next to the noise.
   */
  step?: number;
}

/** The grid a bounded number lives on, in integer units of `step`. */
export interface BoundedGrid {
  step: number;
  /** floor(lower/step) and ceil(upper/step): the grid's ends. */
  lowUnits: number;
  highUnits: number;
  /** Sensitivity in units: highUnits - lowUnits. */
  sensitivityUnits: number;
}

const MAX_UNITS = 2 ** 40; // keeps (value + noise) * step exact in a double

/** The integer grid a bounded number is noised on: [lower, upper] in steps (default 1), checked so every sum stays exact. Throws `InvalidOptionError`. */
export function boundedGrid(lower: number, upper: number, step?: number): BoundedGrid {
  if (!Number.isFinite(lower) || !Number.isFinite(upper) || !(lower < upper))
    throw new InvalidOptionError(`lower and upper must be finite with lower < upper, got [${String(lower)}, ${String(upper)}].`);
  const s = step ?? 2 ** Math.floor(Math.log2((upper - lower) / 1024));
  if (!(s > 0) || !Number.isFinite(s) || 2 ** Math.round(Math.log2(s)) !== s)
    throw new InvalidOptionError(`step must be a power of two (like 1, 0.5, 2^-8), got ${String(step)}.`);
  const lowUnits = Math.floor(lower / s);
  const highUnits = Math.ceil(upper / s);
  if (highUnits - lowUnits > MAX_UNITS || Math.max(Math.abs(lowUnits), Math.abs(highUnits)) > MAX_UNITS)
    throw new InvalidOptionError(`the grid [${lower}, ${upper}] with step ${s} has more than 2^40 steps: use a larger step.`);
  return { step: s, lowUnits, highUnits, sensitivityUnits: highUnits - lowUnits };
}

/**
 * Privatizes one number: epsilon-LDP for any two inputs (their clamped values
 * differ by at most upper - lower). Steps: clamp; round to the grid at random
 * (down or up with the probabilities that keep the mean exact); add
 * two-sided geometric noise with P(k) proportional to exp(-epsilon |k| / sensitivityUnits).
 * Always draws three uniforms, whatever the input.
 */
export function boundedNumber(value: number, options: BoundedOptions): number {
  if (typeof value !== "number" || Number.isNaN(value))
    throw new InvalidOptionError(`a bounded number must be a number, got ${typeof value === "number" ? "NaN" : typeof value}.`);
  const epsilon = checkEpsilon(options.epsilon);
  const g = boundedGrid(options.lower, options.upper, options.step);
  const s = streamFor(options);
  const clamped = Math.min(options.upper, Math.max(options.lower, value));
  const units = clamped / g.step; // exact: division by a power of two
  const floor = Math.floor(units);
  const rounded = s.next() < units - floor ? floor + 1 : floor;
  const noise = twoSidedGeometric(s, epsilon / g.sensitivityUnits);
  return (rounded + noise) * g.step;
}

/** Variance of the noise boundedNumber adds, in the value's own units squared: step^2 * 2a/(1 - a)^2, a = exp(-epsilon/units). */
export function boundedNoiseVariance(options: Omit<BoundedOptions, "random">): number {
  const g = boundedGrid(options.lower, options.upper, options.step);
  const rate = checkEpsilon(options.epsilon) / g.sensitivityUnits;
  const a = Math.exp(-rate);
  const oneMinusA = -Math.expm1(-rate);
  return (g.step * g.step * 2 * a) / (oneMinusA * oneMinusA);
}

/** The collector's estimate of the mean of bounded numbers, with its standard error. */
export interface MeanEstimate {
  /** Unbiased estimate of the mean of the clamped true values. */
  mean: number;
  standardError: number;
  interval: [number, number];
  confidence: number;
  count: number;
}

/**
 * Mean of privatized reports with a normal-approximation interval. The
 * reports' spread is the population's plus the noise's, so the sample variance
 * is used, but never below the noise variance the mechanism is known to add
 * (a small sample can underestimate it).
 */
export function estimateMean(reports: readonly number[], options: Omit<BoundedOptions, "random"> & { confidence?: number }): MeanEstimate {
  let sum = 0;
  for (const r of reports) sum += r;
  const mean = reports.length ? sum / reports.length : 0;
  let ss = 0;
  for (const r of reports) ss += (r - mean) * (r - mean);
  return estimateMeanFromMoments({ count: reports.length, mean, sumOfSquaredDeviations: ss }, options);
}

/** What estimateMean needs of the reports: a collector keeps these instead of every report. */
export interface MeanMoments {
  count: number;
  mean: number;
  /** Sum over reports of (report - mean)^2. */
  sumOfSquaredDeviations: number;
}

/** estimateMean from the reports' count, mean and spread, so an estimate costs the same at 100 or 1,000,000 reports. */
export function estimateMeanFromMoments(m: MeanMoments, options: Omit<BoundedOptions, "random"> & { confidence?: number }): MeanEstimate {
  const n = m.count;
  const confidence = options.confidence ?? 0.95;
  if (n < 1) throw new InvalidOptionError("estimateMean needs at least one report.");
  const sampleVar = n > 1 ? Math.max(0, m.sumOfSquaredDeviations) / (n - 1) : 0;
  const variance = Math.max(sampleVar, boundedNoiseVariance(options));
  const standardError = Math.sqrt(variance / n);
  const z = normalQuantile(0.5 + confidence / 2);
  return { mean: m.mean, standardError, interval: [m.mean - z * standardError, m.mean + z * standardError], confidence, count: n };
}
