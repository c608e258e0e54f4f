// The audit's noise-law checks, for the mechanisms without a closed-form output
// law (docs/mechanisms.md: M5, M6, M10). Each one tests the one random step that
// the mechanism adds on top of public post-processing, against that step's exact
// law, with the usual power check (the same samples must reject the law 10% off):
//   M5: ‖Σ_λ^{−1/2} z‖ of the noise z ~ Gamma(d, 1/ε) (a re-normalised A·u fails);
//   M6: how often the nearer of the two words is chosen at a fixed noisy point;
//   M10: the rank of the output around a fixed pivot, P(R = r) ∝ exp(−c·ε·r).
import { chiSquareTest, countValues, gammaP, ksTest } from "../stats/hypothesis.js";

/** One noise-law check: its p-value against the exact law and against the law 10% off. */
export interface NoiseResult {
  name: string;
  p: number;
  powerP: number;
  pass: boolean;
  powerOk: boolean;
}

/** A noise check to run with a sample count and a level. */
export type NoiseCheck = (samples: number, alpha: number) => NoiseResult;

function result(name: string, p: number, powerP: number, alpha: number): NoiseResult {
  return { name, p, powerP, pass: p > alpha, powerOk: powerP < alpha };
}

/** The noise radius ‖A⁻¹z‖ (from `draw`) against Gamma(d, 1/ε), and against Gamma(d, 1/(1.1ε)). */
export function radialNoiseCheck(name: string, draw: (count: number) => Float64Array, d: number, epsilon: number): NoiseCheck {
  return (samples, alpha) => {
    const r = draw(samples);
    const p = ksTest(r, (x) => gammaP(d, epsilon * x)).p;
    const powerP = ksTest(r, (x) => gammaP(d, 1.1 * epsilon * x)).p;
    return result(name, p, powerP, alpha);
  };
}

/** Discrete outcomes (from `draw`) against two laws given as maps: chi-square fit, then power. */
export function discreteNoiseCheck(name: string, draw: (count: number) => Int32Array, law: Map<number, number>, offLaw: Map<number, number>): NoiseCheck {
  return (samples, alpha) => {
    const counts = countValues(draw(samples));
    return result(name, chiSquareTest(counts, law, samples).p, chiSquareTest(counts, offLaw, samples).p, alpha);
  };
}
