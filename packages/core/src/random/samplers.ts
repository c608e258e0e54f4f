// TypeScript twin of assembly/samplers.ts. Same algorithms, same order of uniform
// draws, so seeded outputs match the WebAssembly backend.
import type { UniformStream } from "./uniform-stream.js";

export function gumbel(s: UniformStream): number {
  return -Math.log(-Math.log(s.next()));
}

/** Gumbel(0, b) truncated to [-m, m]; fLow = F(-m), fRange = F(m) - F(-m). */
export function truncatedGumbel(s: UniformStream, b: number, fLow: number, fRange: number): number {
  return -b * Math.log(-Math.log(fLow + s.next() * fRange));
}

/** Poisson by inversion against a cumulative table whose last entry is 1 (the cap). */
export function poissonFromCdf(s: UniformStream, cdf: Float64Array): number {
  const u = s.next();
  const kMax = cdf.length - 1;
  let k = 0;
  while (k < kMax && u > cdf[k]!) k++;
  return k;
}

/** Marsaglia polar method: returns two independent standard normals. */
export function normalPair(s: UniformStream): [number, number] {
  let u: number, v: number, q: number;
  do {
    u = 2 * s.next() - 1;
    v = 2 * s.next() - 1;
    q = u * u + v * v;
  } while (q >= 1 || q === 0);
  const f = Math.sqrt((-2 * Math.log(q)) / q);
  return [u * f, v * f];
}

/** Gamma(shape >= 1, scale) by Marsaglia-Tsang, one normal pair per trial (spare unused). */
export function gamma(s: UniformStream, shape: number, scale: number): number {
  const dd = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * dd);
  for (;;) {
    const x = normalPair(s)[0];
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = s.next();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return dd * v * scale;
    if (Math.log(u) < 0.5 * x2 + dd * (1 - v + Math.log(v))) return dd * v * scale;
  }
}

/** Uniform direction on the sphere in R^d: d normals divided by their norm. */
export function sphereDirection(s: UniformStream, d: number): Float64Array {
  const out = new Float64Array(d);
  let norm2 = 0;
  do {
    norm2 = 0;
    for (let i = 0; i < d; i += 2) {
      const [a, b] = normalPair(s);
      out[i] = a;
      norm2 += a * a;
      if (i + 1 < d) {
        out[i + 1] = b;
        norm2 += b * b;
      }
    }
  } while (norm2 === 0);
  const inv = 1 / Math.sqrt(norm2);
  for (let i = 0; i < d; i++) out[i]! *= inv;
  return out;
}

/** docs/mechanisms.md, M1 noise: direction times r ~ Gamma(d, 1/epsilon); density proportional to exp(-epsilon |z|). */
export function laplaceNoise(s: UniformStream, d: number, epsilon: number): Float64Array {
  const z = sphereDirection(s, d);
  const r = gamma(s, d, 1 / epsilon);
  for (let i = 0; i < d; i++) z[i]! *= r;
  return z;
}
