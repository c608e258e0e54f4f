import { InvalidEpsilonError, InvalidOptionError, UnknownMechanismError } from "../errors.js";

/** The ten word mechanisms of docs/mechanisms.md (M1-M10), in their order there. */
export const MECHANISMS = ["laplace", "exponential", "tem", "gumbel", "mahalanobis", "vickrey", "santext", "custext", "diffractor", "laplace-rank"] as const;
/**
 * A word mechanism's name: "laplace" (M1), "exponential" (M2), "tem" (M3),
 * "gumbel" (M4), "mahalanobis" (M5), "vickrey" (M6), "santext" (M7, SanText+),
 * "custext" (M8), "diffractor" (M9, 1-Diffractor), "laplace-rank" (M10).
 */
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
  /**
   * M4: Poisson mean of the candidate-set size, default ln(n - 1).
   * M5 (and M6 on the Mahalanobis base): the weight of the covariance in
   * Σ_λ = λΣ + (1 − λ)I, in [0, 1), default 0.2.
   */
  lambda?: number;
  /** M6 only: the weight t in [0, 1] of the second-nearest word, default 0.75 (t = 0 is M1). */
  t?: number;
  /** M6 only: whose noise the noisy point gets, "laplace" (M1, default) or "mahalanobis" (M5). */
  base?: "laplace" | "mahalanobis";
  /** M7 only: the fraction s in (0, 1] of the vocabulary that is sensitive (its rarest words), default 0.5. s = 1 is M2. */
  s?: number;
  /** M7 only: the probability p in [0, 1] that a non-sensitive word is resampled anyway, default 0.2. */
  p?: number;
  /** M8 only: the size K of each output group, default 20 (the pack's groups; another size builds them at first use). */
  groupSize?: number;
  /** M9 only: "geometric" (default: two-sided geometric noise on the list position) or "list-tem" (TEM on list distance). */
  variant?: "geometric" | "list-tem";
  /** M9 "list-tem" only: the radius γ in list positions, a positive integer, default 5. */
  radius?: number;
  /** M10 only: the rank constant c > 0 of P(R = r) ∝ exp(−c·ε·r), default the pack's own (its metadata), else 0.04. */
  c?: number;
  /**
   * "stopwords": words of the public stopword list (text/stopwords.ts) pass
   * unchanged, marked unprotected. Off by default; with M8 this is CusText+.
   */
  keep?: "stopwords";
}

/** What Veil states about each mechanism: its id (M1-M10), a title, its source, and the guarantee in its own terms. */
export interface MechanismInfo {
  id: string;
  title: string;
  source: string;
  guarantee: string;
}

/** Each mechanism's id, title, source and guarantee (docs/mechanisms.md; M4 has none of Veil's own: see there). */
export const MECHANISM_INFO: Record<MechanismName, MechanismInfo> = {
  laplace: { id: "M1", title: "Multivariate Laplace", source: "Feyisetan et al., WSDM 2020", guarantee: "epsilon-metric-DP" },
  exponential: {
    id: "M2",
    title: "Exponential mechanism over the vocabulary",
    source: "Amazon Science, Computing on private data",
    guarantee: "epsilon-metric-DP",
  },
  tem: { id: "M3", title: "Truncated exponential mechanism, TEM", source: "Carvalho et al., SDM 2023", guarantee: "epsilon-metric-DP" },
  gumbel: { id: "M4", title: "Truncated Gumbel", source: "Xu et al., FLAIRS 2021", guarantee: "none stated by Veil; realized privacy reported" },
  mahalanobis: {
    id: "M5",
    title: "Mahalanobis (elliptical noise)",
    source: "Xu et al., PrivateNLP 2020",
    guarantee: "epsilon-metric-DP in the regularized Mahalanobis distance d_RM; at most epsilon/sqrt(1 - lambda) per unit of Euclidean distance",
  },
  vickrey: {
    id: "M6",
    title: "Vickrey (the nearer of the two nearest words)",
    source: "Xu et al., PrivateNLP @ NAACL 2021",
    guarantee: "its base mechanism's (M1, or M5)",
  },
  santext: {
    id: "M7",
    title: "SanText+ (only rare words resampled)",
    source: "Yue et al., Findings ACL 2021",
    guarantee: "epsilon-metric-DP among sensitive words only; a non-sensitive word kept as it was is unprotected",
  },
  custext: {
    id: "M8",
    title: "CusText (customized output groups)",
    source: "Chen et al., Findings ACL 2023",
    guarantee: "epsilon-DP among the members of one group only; the output reveals the group",
  },
  diffractor: {
    id: "M9",
    title: "1-Diffractor (noise along a word order)",
    source: "Meisenbacher et al., IWSPA 2024",
    guarantee: "epsilon-metric-DP in list positions |i(x) - i(x')|; its epsilon is not comparable with M1-M7's",
  },
  "laplace-rank": {
    id: "M10",
    title: "Multivariate Laplace with rank-based post-processing",
    source: "Asghar et al., PETS 2026",
    guarantee: "epsilon-metric-DP (M1's: post-processing of M1's noisy point)",
  },
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

type Check = (o: MechanismOptions) => string | null;
const num = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/** One check per option; each returns what is wrong, or null. */
const OPTION_CHECKS: Check[] = [
  (o) => (o.beta !== undefined && !(num(o.beta) && o.beta > 0 && o.beta < 1) ? `beta must be in (0, 1), got ${String(o.beta)}.` : null),
  (o) => (o.scale !== undefined && !(num(o.scale) && o.scale > 0) ? `scale must be a finite positive number, got ${String(o.scale)}.` : null),
  (o) => {
    if (o.lambda === undefined) return null;
    const covariance = o.mechanism === "mahalanobis" || o.mechanism === "vickrey";
    if (covariance) return num(o.lambda) && o.lambda >= 0 && o.lambda < 1 ? null : `lambda (the covariance weight) must be in [0, 1), got ${String(o.lambda)}.`;
    return num(o.lambda) && o.lambda >= 0 ? null : `lambda must be a finite number >= 0, got ${String(o.lambda)}.`;
  },
  (o) => (o.t !== undefined && !(num(o.t) && o.t >= 0 && o.t <= 1) ? `t must be in [0, 1], got ${String(o.t)}.` : null),
  (o) => (o.base !== undefined && o.base !== "laplace" && o.base !== "mahalanobis" ? `base must be "laplace" or "mahalanobis", got ${String(o.base)}.` : null),
  (o) => (o.s !== undefined && !(num(o.s) && o.s > 0 && o.s <= 1) ? `s must be in (0, 1], got ${String(o.s)}.` : null),
  (o) => (o.p !== undefined && !(num(o.p) && o.p >= 0 && o.p <= 1) ? `p must be in [0, 1], got ${String(o.p)}.` : null),
  (o) =>
    o.groupSize !== undefined && !(Number.isInteger(o.groupSize) && o.groupSize >= 2 && o.groupSize <= 1024)
      ? `groupSize must be an integer in [2, 1024], got ${String(o.groupSize)}.`
      : null,
  (o) =>
    o.variant !== undefined && o.variant !== "geometric" && o.variant !== "list-tem"
      ? `variant must be "geometric" or "list-tem", got ${String(o.variant)}.`
      : null,
  (o) =>
    o.radius !== undefined && !(Number.isInteger(o.radius) && o.radius >= 1 && o.radius <= 1_000_000)
      ? `radius must be an integer in [1, 10^6], got ${String(o.radius)}.`
      : null,
  (o) => (o.c !== undefined && !(num(o.c) && o.c > 0) ? `c must be a finite positive number, got ${String(o.c)}.` : null),
  (o) => (o.keep !== undefined && o.keep !== "stopwords" ? `keep must be "stopwords" or absent, got ${String(o.keep)}.` : null),
];

/** Validates the options (mechanism, epsilon, each parameter); throws the typed error that says what to fix. */
export function checkOptions(o: MechanismOptions): MechanismOptions {
  if (typeof o !== "object" || o === null) throw new InvalidOptionError("options must be an object with mechanism and epsilon.");
  checkMechanism(o.mechanism);
  checkEpsilon(o.epsilon);
  for (const check of OPTION_CHECKS) {
    const wrong = check(o);
    if (wrong) throw new InvalidOptionError(wrong);
  }
  return o;
}
