// Samplers of docs/mechanisms.md, "Randomness", one uniform stream (random.ts) underneath.
// packages/core/src/random/samplers.ts is the TypeScript twin: keep the order of
// uniform draws identical, or seeded outputs stop matching across backends.

import { uniform } from "./random";

/** Standard Gumbel: G = -ln(-ln U). */
export function gumbel(): f64 {
  return -Math.log(-Math.log(uniform()));
}

/**
 * Gumbel(0, b) truncated to [-m, m] by inverse CDF. The caller passes
 * `fLow = F(-m)` and `fRange = F(m) - F(-m)` with F(x) = exp(-e^(-x/b)).
 */
// @ts-ignore: decorator
@inline
export function truncatedGumbel(b: f64, fLow: f64, fRange: f64): f64 {
  return -b * Math.log(-Math.log(fLow + uniform() * fRange));
}

/**
 * Poisson by inversion of the uniform `u` against a cumulative table `cdf[0..kMax]` (last
 * entry 1: the cap): the first k with u <= cdf[k], which, cdf being non-decreasing, is the
 * number of entries below u among the first kMax. Counted without branches, two lanes at a time.
 */
// @ts-ignore: decorator
@inline
export function poissonOf(cdf: usize, kMax: i32, u: f64): i32 {
  const uu = f64x2.splat(u);
  let below = i64x2.splat(0);
  let k = 0;
  for (; k + 2 <= kMax; k += 2) below = i64x2.sub(below, f64x2.lt(v128.load(cdf + (<usize>k << 3)), uu)); // lt is all ones (-1) per lane
  let count = <i32>(i64x2.extract_lane(below, 0) + i64x2.extract_lane(below, 1));
  if (k < kMax && load<f64>(cdf + (<usize>k << 3)) < u) count++;
  return count;
}

let spare: f64 = 0;

/**
 * Two independent standard normals by the Marsaglia polar method. Returns the
 * first; the second is left in `lastSpare()`. No state carries between calls.
 */
export function normalPair(): f64 {
  let u: f64, v: f64, s: f64;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const f = Math.sqrt((-2.0 * Math.log(s)) / s);
  spare = v * f;
  return u * f;
}

export function lastSpare(): f64 {
  return spare;
}

/** Gamma(shape, scale) by Marsaglia-Tsang (shape >= 1); one normal pair per trial, the spare unused. */
export function gamma(shape: f64, scale: f64): f64 {
  const dd = shape - 1.0 / 3.0;
  const c = 1.0 / Math.sqrt(9.0 * dd);
  while (true) {
    const x = normalPair();
    const t = 1.0 + c * x;
    if (t <= 0.0) continue;
    const v = t * t * t;
    const u = uniform();
    const x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return dd * v * scale;
    if (Math.log(u) < 0.5 * x2 + dd * (1.0 - v + Math.log(v))) return dd * v * scale;
  }
  return 0; // unreachable
}

/** A uniform direction on the sphere in R^d into `out` (f64[d]): d normals over their norm. */
export function sphereDirection(out: usize, d: i32): void {
  let norm2: f64 = 0;
  do {
    norm2 = 0;
    for (let i = 0; i < d; i += 2) {
      const a = normalPair();
      store<f64>(out + (<usize>i << 3), a);
      norm2 += a * a;
      if (i + 1 < d) {
        const b = spare;
        store<f64>(out + (<usize>(i + 1) << 3), b);
        norm2 += b * b;
      }
    }
  } while (norm2 == 0.0);
  const inv = 1.0 / Math.sqrt(norm2);
  for (let i = 0; i < d; i++) {
    const p = out + (<usize>i << 3);
    store<f64>(p, load<f64>(p) * inv);
  }
}

/**
 * The multivariate Laplace noise of docs/mechanisms.md, M1 into `out` (f64[d]): a uniform
 * direction times r ~ Gamma(d, 1/epsilon), density proportional to exp(-epsilon |z|).
 */
export function laplaceNoise(out: usize, d: i32, epsilon: f64): void {
  sphereDirection(out, d);
  const r = gamma(<f64>d, 1.0 / epsilon);
  for (let i = 0; i < d; i++) {
    const p = out + (<usize>i << 3);
    store<f64>(p, load<f64>(p) * r);
  }
}
