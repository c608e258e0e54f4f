// veil-testing.wasm: every kernel of index.ts plus hooks for the samplers'
// distribution tests (packages/core/src/random/samplers.test.ts). Built beside
// veil.wasm and never shipped: packages/core leaves it out of its files.
import { uniform } from "./random";
import { gamma, gumbel, normalPair, truncatedGumbel } from "./samplers";

export * from "./index";

/** `count` uniforms in (0, 1). */
export function sampleUniforms(out: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<f64>(out + ((<usize>i) << 3), uniform());
}

/** `count` standard Gumbel draws. */
export function sampleGumbels(out: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<f64>(out + ((<usize>i) << 3), gumbel());
}

/** `count` Gumbel(0, b) draws truncated to the CDF range [fLow, fLow + fRange]. */
export function sampleTruncatedGumbels(out: usize, count: i32, b: f64, fLow: f64, fRange: f64): void {
  for (let i = 0; i < count; i++) store<f64>(out + ((<usize>i) << 3), truncatedGumbel(b, fLow, fRange));
}

/** `count` standard normals (the first of each polar pair). */
export function sampleNormals(out: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<f64>(out + ((<usize>i) << 3), normalPair());
}

/** `count` Gamma(shape, scale) draws. */
export function sampleGammas(out: usize, count: i32, shape: f64, scale: f64): void {
  for (let i = 0; i < count; i++) store<f64>(out + ((<usize>i) << 3), gamma(shape, scale));
}
