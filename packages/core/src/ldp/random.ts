// Samplers for the local-DP primitives, on top of the same uniform stream as the
// word mechanisms (docs/mechanisms.md, "Randomness": crypto.getRandomValues in 64 KiB pools).
import { cryptoSource, type RandomSource } from "../random/source.js";
import { UniformStream } from "../random/uniform-stream.js";
import { gamma } from "../random/samplers.js";
import { lnGamma } from "../math/ln-gamma.js";

/** Options every local-DP primitive takes. */
export interface RandomOptions {
  /**
   * Where random bytes come from. Leave it out: the default is crypto.getRandomValues.
   * Tests pass `seededSource(seed)` from `@veil/core/testing`.
   */
  random?: RandomSource;
}

// One pooled stream per source, so small calls do not pay for a getRandomValues each.
const streams = new WeakMap<RandomSource, UniformStream>();
const defaultSource = cryptoSource();

export function streamFor(options: RandomOptions | undefined): UniformStream {
  const source = options?.random ?? defaultSource;
  let s = streams.get(source);
  if (!s) streams.set(source, (s = new UniformStream(source)));
  return s;
}

/** Random bytes straight from the source (secret shares need all 64 bits, not a 52-bit uniform). */
export function randomBytes(options: RandomOptions | undefined, n: number): Uint8Array {
  const out = new Uint8Array(n);
  (options?.random ?? defaultSource).fill(out);
  return out;
}

/** Uniform integer in [0, m): floor(U * m). With 52-bit U the bias is below m * 2^-52. */
export function uniformIndex(s: UniformStream, m: number): number {
  return Math.min(m - 1, Math.floor(s.next() * m));
}

/**
 * Geometric number of failures with P(G >= k) = alpha^k, where alpha = exp(-rate):
 * G = floor(-ln(U) / rate), since P(-ln U >= k * rate) = exp(-k * rate).
 */
export function geometric(s: UniformStream, rate: number): number {
  return Math.floor(-Math.log(s.next()) / rate);
}

/** Two-sided geometric (discrete Laplace): P(k) = (1 - a)/(1 + a) * a^|k| with a = exp(-rate). */
export function twoSidedGeometric(s: UniformStream, rate: number): number {
  return geometric(s, rate) - geometric(s, rate);
}

/** Poisson(lambda): multiplication for lambda < 10, Hormann's PTRS (transformed rejection) above. */
export function poisson(s: UniformStream, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda < 10) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = s.next();
    while (p > limit) {
      k++;
      p *= s.next();
    }
    return k;
  }
  // W. Hormann, "The transformed rejection method for generating Poisson random variables", 1993.
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = s.next() - 0.5;
    const v = s.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - lnGamma(k + 1)) return k;
  }
}

/**
 * Polya (negative binomial) number of failures with shape r > 0 and success
 * probability 1 - alpha: P(k) = Gamma(k + r)/(k! Gamma(r)) (1 - alpha)^r alpha^k,
 * drawn as Poisson(Gamma(r, alpha/(1 - alpha))). A sum of s such variables with
 * shape 1/s is geometric (shape 1), which is what the distributed noise relies on.
 */
export function polya(s: UniformStream, shape: number, rate: number): number {
  // alpha/(1 - alpha) with alpha = exp(-rate), computed without cancellation.
  const scale = 1 / Math.expm1(rate);
  const g = shape >= 1 ? gamma(s, shape, scale) : gamma(s, shape + 1, scale) * Math.pow(s.next(), 1 / shape);
  return poisson(s, g);
}
