import { InvalidEpsilonError, InvalidOptionError, UnknownMechanismError } from "../errors.js";

/** The four word mechanisms of docs/mechanisms.md (M1-M4). */
export const MECHANISMS = ["laplace", "exponential", "tem", "gumbel"] as const;
/** A word mechanism's name: "laplace" (M1), "exponential" (M2), "tem" (M3), "gumbel" (M4). */
export type MechanismName = (typeof MECHANISMS)[number];

/** A word mechanism and its parameters; validated before any randomness is drawn (`InvalidEpsilonError`, `EpsilonOutOfRangeError`, ...). */
export interface MechanismOptions {
  mechanism: MechanismName;
  /** Privacy parameter; must be finite and positive (M4: above its calibrated minimum). */
  epsilon: number;
  /** TEM (M3) only: beta of the radius, default 0.001. */
  beta?: number;
  /** M4 only: Gumbel scale b overriding the calibration (the result is labelled uncalibrated). */
  scale?: number;
  /** M4 only: Poisson mean of the candidate-set size, default ln(n - 1). */
  lambda?: number;
}

/** Each mechanism's id (M1-M4), a title for people, and the guarantee Veil states for it (none for M4: see the README). */
export const MECHANISM_INFO: Record<MechanismName, { id: string; title: string; guarantee: string }> = {
  laplace: { id: "M1", title: "Multivariate Laplace (Feyisetan et al., WSDM 2020)", guarantee: "epsilon-metric-DP" },
  exponential: { id: "M2", title: "Exponential mechanism over the vocabulary", guarantee: "epsilon-metric-DP" },
  tem: { id: "M3", title: "Truncated exponential mechanism, TEM (Carvalho et al., SDM 2023)", guarantee: "epsilon-metric-DP" },
  gumbel: { id: "M4", title: "Truncated Gumbel (Xu et al., FLAIRS 2021)", guarantee: "none stated by Veil; realized privacy reported" },
};

export function checkMechanism(name: unknown): MechanismName {
  if (typeof name === "string" && (MECHANISMS as readonly string[]).includes(name)) return name as MechanismName;
  throw new UnknownMechanismError(name, MECHANISMS);
}

export function checkEpsilon(epsilon: unknown): number {
  if (typeof epsilon !== "number" || !Number.isFinite(epsilon))
    throw new InvalidEpsilonError(`epsilon must be a finite number, got ${typeof epsilon === "number" ? String(epsilon) : typeof epsilon}.`);
  if (epsilon <= 0) throw new InvalidEpsilonError(`epsilon must be positive, got ${epsilon}.`);
  return epsilon;
}

export function checkOptions(o: MechanismOptions): MechanismOptions {
  if (typeof o !== "object" || o === null) throw new InvalidOptionError("options must be an object with mechanism and epsilon.");
  checkMechanism(o.mechanism);
  checkEpsilon(o.epsilon);
  if (o.beta !== undefined && !(typeof o.beta === "number" && o.beta > 0 && o.beta < 1))
    throw new InvalidOptionError(`beta must be in (0, 1), got ${String(o.beta)}.`);
  if (o.scale !== undefined && !(typeof o.scale === "number" && Number.isFinite(o.scale) && o.scale > 0))
    throw new InvalidOptionError(`scale must be a finite positive number, got ${String(o.scale)}.`);
  if (o.lambda !== undefined && !(typeof o.lambda === "number" && Number.isFinite(o.lambda) && o.lambda >= 0))
    throw new InvalidOptionError(`lambda must be a finite number >= 0, got ${String(o.lambda)}.`);
  return o;
}
