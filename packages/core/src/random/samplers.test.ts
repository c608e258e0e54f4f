// Distribution tests of every sampler, in both implementations (TypeScript and
// WebAssembly), each against its exact CDF at level ALPHA, with a power check:
// the same samples must reject the law with its scale (or rate) off by 10%.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileVeilWasm, instantiateVeilWasm } from "../backends/wasm-module.js";
import { ALPHA, chiSquareTest, countValues, gammaP, ksTest, testSeed } from "../test-support/gof.js";
import { seededSource } from "./seeded.js";
import { UniformStream } from "./uniform-stream.js";
import * as S from "./samplers.js";
import { poissonCdf } from "../mechanisms/truncated-gumbel.js";

const N = 50_000;
type Kind = 0 | 1 | 2 | 3 | 4; // uniform, Gumbel, truncated Gumbel, normal, gamma

/** The hooks veil-testing.wasm adds to the shipped exports. */
interface TestingHooks {
  sampleUniforms(out: number, count: number): void;
  sampleGumbels(out: number, count: number): void;
  sampleTruncatedGumbels(out: number, count: number, b: number, fLow: number, fRange: number): void;
  sampleNormals(out: number, count: number): void;
  sampleGammas(out: number, count: number, shape: number, scale: number): void;
}

async function wasmDraws(seed: number) {
  const src = seededSource(seed);
  const holder: { mem?: WebAssembly.Memory } = {};
  // veil-testing.wasm: the shipped kernels plus one sampling hook per sampler (assembly/testing.ts).
  const testing = await compileVeilWasm(new URL("../veil-testing.wasm", import.meta.url));
  const ex = await instantiateVeilWasm(testing, (ptr, len) => src.fill(new Uint8Array(holder.mem!.buffer, ptr, len)));
  holder.mem = ex.memory;
  return (kind: Kind, a = 0, b = 0, c = 0) => {
    const p = ex.alloc(N * 8);
    const hooks = ex as unknown as TestingHooks;
    if (kind === 0) hooks.sampleUniforms(p, N);
    else if (kind === 1) hooks.sampleGumbels(p, N);
    else if (kind === 2) hooks.sampleTruncatedGumbels(p, N, a, b, c);
    else if (kind === 3) hooks.sampleNormals(p, N);
    else hooks.sampleGammas(p, N, a, b);
    const out = new Float64Array(ex.memory.buffer, p, N).slice();
    ex.free(p);
    return out;
  };
}

function tsDraws(seed: number) {
  const s = new UniformStream(seededSource(seed));
  return (kind: Kind, a = 0, b = 0, c = 0) =>
    Float64Array.from({ length: N }, () =>
      kind === 0 ? s.next() : kind === 1 ? S.gumbel(s) : kind === 2 ? S.truncatedGumbel(s, a, b, c) : kind === 3 ? S.normalPair(s)[0] : S.gamma(s, a, b),
    );
}

const gumbelCdf = (b: number) => (x: number) => Math.exp(-Math.exp(-x / b));
const truncParams = (b: number, m: number) => {
  const F = gumbelCdf(b);
  return { fLow: F(-m), fRange: F(m) - F(-m), cdf: (x: number) => (x <= -m ? 0 : x >= m ? 1 : (F(x) - F(-m)) / (F(m) - F(-m))) };
};
const phi = (sd: number) => (x: number) => 0.5 * (1 + erf(x / (sd * Math.SQRT2)));
function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse for KS at N = 50k; use the series/continued fraction via gammaP.
  return x >= 0 ? gammaP(0.5, x * x) : -gammaP(0.5, x * x);
}

function acceptAndReject(name: string, xs: Float64Array, right: (x: number) => number, wrong: (x: number) => number) {
  const ok = ksTest(xs, right);
  assert.ok(ok.p > ALPHA, `${name}: the exact law was rejected (D ${ok.D.toFixed(4)}, p ${ok.p.toExponential(2)})`);
  const bad = ksTest(xs, wrong);
  assert.ok(bad.p < ALPHA, `${name}: no power, the 10%-off law was accepted (D ${bad.D.toFixed(4)}, p ${bad.p.toExponential(2)})`);
}

for (const impl of ["ts", "wasm"] as const) {
  const make = (seed: number) => (impl === "ts" ? Promise.resolve(tsDraws(seed)) : wasmDraws(seed));

  test(`${impl}: uniforms are uniform on (0, 1) and never 0 or 1`, async () => {
    const xs = (await make(testSeed(11)))(0);
    assert.ok(xs.every((x) => x > 0 && x < 1));
    acceptAndReject(
      "uniform",
      xs,
      (x) => x,
      (x) => Math.min(1, x * 1.1),
    );
  });

  test(`${impl}: standard Gumbel`, async () => {
    const xs = (await make(testSeed(12)))(1);
    acceptAndReject("gumbel", xs, gumbelCdf(1), gumbelCdf(1.1));
  });

  test(`${impl}: truncated Gumbel(0, b) on [-m, m]`, async () => {
    const b = 2,
      m = 3;
    const { fLow, fRange, cdf } = truncParams(b, m);
    const xs = (await make(testSeed(13)))(2, b, fLow, fRange);
    assert.ok(
      xs.every((x) => x >= -m && x <= m),
      "outside the truncation interval",
    );
    acceptAndReject("truncated gumbel", xs, cdf, truncParams(b * 1.1, m).cdf);
  });

  test(`${impl}: normal (polar method)`, async () => {
    const xs = (await make(testSeed(14)))(3);
    acceptAndReject("normal", xs, phi(1), phi(1.1));
  });

  test(`${impl}: Gamma(100, 1/epsilon) (Marsaglia-Tsang), the norm law of M1`, async () => {
    const eps = 2;
    const xs = (await make(testSeed(15)))(4, 100, 1 / eps);
    acceptAndReject(
      "gamma",
      xs,
      (x) => gammaP(100, x * eps),
      (x) => gammaP(100, x * eps * 1.1),
    );
  });
}

test("Poisson by inversion with the cap at K (chi-square, power at 1.1 lambda)", () => {
  const lambda = Math.log(49_999),
    K = 64;
  const s = new UniformStream(seededSource(testSeed(16)));
  const cdf = poissonCdf(lambda, K);
  const ks = Int32Array.from({ length: N }, () => S.poissonFromCdf(s, cdf));
  const law = (l: number) => {
    const c = poissonCdf(l, K);
    return new Map(Array.from({ length: K + 1 }, (_, k) => [k, c[k]! - (k ? c[k - 1]! : 0)]));
  };
  const ok = chiSquareTest(countValues(ks), law(lambda), N);
  assert.ok(ok.p > ALPHA, `Poisson rejected: p ${ok.p}`);
  const bad = chiSquareTest(countValues(ks), law(lambda * 1.1), N);
  assert.ok(bad.p < ALPHA, `no power against 1.1 lambda: p ${bad.p}`);
});

test("sphere direction: unit norm, and in R^3 each coordinate is uniform on [-1, 1] (Archimedes)", () => {
  const s = new UniformStream(seededSource(testSeed(17)));
  const xs = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const u = S.sphereDirection(s, 3);
    assert.ok(Math.abs(Math.hypot(u[0]!, u[1]!, u[2]!) - 1) < 1e-12);
    xs[i] = u[i % 3]!;
  }
  acceptAndReject(
    "sphere",
    xs,
    (x) => (x + 1) / 2,
    (x) => Math.min(1, Math.max(0, (x * 1.1 + 1) / 2)),
  );
});

test("M1 noise: |z| follows Gamma(d, 1/epsilon) in d = 100 (power at 1.1 epsilon)", () => {
  const s = new UniformStream(seededSource(testSeed(18)));
  const eps = 3,
    d = 100;
  const norms = Float64Array.from({ length: 20_000 }, () => {
    const z = S.laplaceNoise(s, d, eps);
    let q = 0;
    for (const v of z) q += v * v;
    return Math.sqrt(q);
  });
  acceptAndReject(
    "noise norm",
    norms,
    (r) => gammaP(d, r * eps),
    (r) => gammaP(d, r * eps * 1.1),
  );
});
