// The privacy audit (issue 8): does a word mechanism do what it claims?
// (a) fit: samples against the claimed exact law (chi-square), with a power check
//     (the same samples must reject a 10%-off law);
// (b) empirical epsilon: for chosen word pairs, an event picked on a pilot run,
//     fresh samples, and a Clopper-Pearson lower bound on ln(P(E|w)/P(E|w')),
//     compared with the claim epsilon * d(w, w');
// (c) support: mass that one word can produce and the other never can.
import type { OutputLaw } from "../mechanisms/law.js";
import { chiSquareTest, clopperPearson, countValues } from "../stats/hypothesis.js";
import { realizedPrivacy } from "../stats/realized-privacy.js";
import type { NoiseCheck, NoiseResult } from "./noise-checks.js";

/** What the audit needs from a mechanism: samples, and what it claims. */
export interface AuditSubject {
  name: string;
  /** Claimed metric-DP epsilon per unit distance; null when the mechanism claims no bound (M4). */
  claim: number | null;
  /** The distance the claim is stated in ("Euclidean", "d_RM", "list positions", "same group"). */
  metric?: string;
  /** Checks of the mechanism's random step against its exact law, for mechanisms with no closed-form output law (M5, M6, M10). */
  noise?: NoiseCheck[];
  sample(word: number, count: number): Int32Array;
  /** The claimed exact output law, or null when none is known (M1). */
  law(word: number): OutputLaw | null;
  /** A law 10% off the claim (1.1x epsilon, or for M4 1.1x lambda): the fit test must reject it. */
  offLaw(word: number): OutputLaw | null;
  distance(a: number, b: number): number;
}

/** Two words the epsilon audit compares, and why they were picked (neighbours, far apart, ...). */
export interface AuditPair {
  a: number;
  b: number;
  kind: string;
}

/** How hard `runAudit` tests: samples per word, the test level, and which words and pairs. */
export interface AuditOptions {
  /** Fresh samples per word for the fit and per word and pair for the epsilon audit. */
  samples: number;
  /** Pilot samples per word for choosing the event, default samples / 4. */
  pilot?: number;
  /** Level of each test, default 1e-6. */
  alpha?: number;
  fitWords: number[];
  pairs: AuditPair[];
}

/** One word's goodness-of-fit test of sampled outputs against the exact law, with its power check. */
export interface FitResult {
  word: number;
  p: number;
  powerP: number;
  pass: boolean;
  powerOk: boolean;
}

/** One pair's epsilon audit: the event chosen, the hits, and a Clopper-Pearson lower bound on the privacy loss against the claim. */
export interface PairResult extends AuditPair {
  distance: number;
  /** epsilon * d: the most ln(P(E|a)/P(E|b)) may be. null without a claim. */
  bound: number | null;
  eventSize: number;
  hitsA: number;
  hitsB: number;
  /** ln of the observed ratio. */
  estimate: number;
  /** Clopper-Pearson lower bound on ln(P(E|a)/P(E|b)) at level alpha. */
  lowerBound: number;
  /** Exact mass a can produce and b never can (when the law is known). */
  exclusiveMass: number | null;
  pass: boolean;
}

/** The audit of one mechanism: its claim, every fit and pair result, and whether all passed. */
export interface AuditReport {
  mechanism: string;
  claim: number | null;
  metric: string;
  samples: number;
  alpha: number;
  fit: FitResult[];
  noise: NoiseResult[];
  pairs: PairResult[];
  passed: boolean;
}

/** A law as a map from output id to probability, over the outputs it can produce (what chiSquareTest takes). */
export function lawMap(law: OutputLaw): Map<number, number> {
  const m = new Map<number, number>();
  for (let y = 0; y < law.n; y++) {
    const p = law.prob(y);
    if (p > 0) m.set(y, p);
  }
  return m;
}

/** The fit test and its power check for one word. */
export function fitTest(subject: AuditSubject, word: number, samples: number, alpha: number): FitResult | null {
  const law = subject.law(word);
  if (!law) return null;
  const c = countValues(subject.sample(word, samples));
  const p = chiSquareTest(c, lawMap(law), samples).p;
  const off = subject.offLaw(word);
  const powerP = off ? chiSquareTest(c, lawMap(off), samples).p : 0;
  return { word, p, powerP, pass: p > alpha, powerOk: powerP < alpha };
}

/**
 * Chooses the event on the pilot: outputs ordered by their smoothed ratio
 * count_a/count_b, and the prefix whose pilot lower bound is largest.
 */
function chooseEvent(pa: Map<number, number>, pb: Map<number, number>, n: number): Set<number> {
  const ys = [...new Set([...pa.keys(), ...pb.keys()])];
  ys.sort((x, y) => ((pb.get(x) ?? 0) + 1) * ((pa.get(y) ?? 0) + 1) - ((pa.get(x) ?? 0) + 1) * ((pb.get(y) ?? 0) + 1) || x - y);
  let best = -Infinity;
  let bestJ = 1;
  let ka = 0,
    kb = 0;
  for (let j = 0; j < Math.min(ys.length, 200); j++) {
    ka += pa.get(ys[j]!) ?? 0;
    kb += pb.get(ys[j]!) ?? 0;
    const lo = clopperPearson(ka, n, 0.05).lo;
    const hi = clopperPearson(kb, n, 0.05).hi;
    const score = lo > 0 ? Math.log(lo / hi) : -Infinity;
    if (score > best) ((best = score), (bestJ = j + 1));
  }
  return new Set(ys.slice(0, bestJ));
}

/** The empirical epsilon audit of one pair, in the direction the pilot finds worse. */
export function pairTest(subject: AuditSubject, pair: AuditPair, samples: number, pilot: number, alpha: number): PairResult {
  const distance = subject.distance(pair.a, pair.b);
  const pa = countValues(subject.sample(pair.a, pilot));
  const pb = countValues(subject.sample(pair.b, pilot));
  // Both directions on the pilot; keep the one with the larger pilot ratio.
  const e1 = chooseEvent(pa, pb, pilot);
  const e2 = chooseEvent(pb, pa, pilot);
  const r = (e: Set<number>, x: Map<number, number>, y: Map<number, number>) => {
    let kx = 0,
      ky = 0;
    for (const v of e) ((kx += x.get(v) ?? 0), (ky += y.get(v) ?? 0));
    return (kx + 1) / (ky + 1);
  };
  const forward = r(e1, pa, pb) >= r(e2, pb, pa);
  const [a, b, event] = forward ? [pair.a, pair.b, e1] : [pair.b, pair.a, e2];
  const fa = subject.sample(a, samples);
  const fb = subject.sample(b, samples);
  let hitsA = 0,
    hitsB = 0;
  for (const y of fa) if (event.has(y)) hitsA++;
  for (const y of fb) if (event.has(y)) hitsB++;
  const lo = clopperPearson(hitsA, samples, alpha).lo;
  const hi = clopperPearson(hitsB, samples, alpha).hi;
  const lowerBound = lo > 0 ? Math.log(lo / hi) : -Infinity;
  const bound = subject.claim === null ? null : subject.claim * distance;
  const la = subject.law(a);
  const lb = subject.law(b);
  const exclusiveMass = la && lb ? realizedPrivacy(la, lb, distance).exclusiveMass : null;
  const pass = bound === null || (lowerBound <= bound * (1 + 1e-9) && (exclusiveMass ?? 0) < 1e-12);
  return {
    a,
    b,
    kind: pair.kind,
    distance,
    bound,
    eventSize: event.size,
    hitsA,
    hitsB,
    estimate: Math.log(hitsA / Math.max(hitsB, 0.5)),
    lowerBound,
    exclusiveMass,
    pass,
  };
}

/**
 * Tests a mechanism's privacy claim empirically (`veil audit`): sampled outputs
 * against the exact law where there is one, and for each pair a lower bound on
 * ln(P(E|a)/P(E|b)) that must stay below epsilon times their distance.
 */
export function runAudit(subject: AuditSubject, o: AuditOptions): AuditReport {
  const alpha = o.alpha ?? 1e-6;
  const pilot = o.pilot ?? Math.max(1000, Math.floor(o.samples / 4));
  const fit = o.fitWords.map((w) => fitTest(subject, w, o.samples, alpha)).filter((x): x is FitResult => x !== null);
  const noise = (subject.noise ?? []).map((check) => check(o.samples, alpha));
  const pairs = o.pairs.map((p) => pairTest(subject, p, o.samples, pilot, alpha));
  const passed = fit.every((f) => f.pass && f.powerOk) && noise.every((f) => f.pass && f.powerOk) && pairs.every((p) => p.pass);
  return { mechanism: subject.name, claim: subject.claim, metric: subject.metric ?? "Euclidean", samples: o.samples, alpha, fit, noise, pairs, passed };
}
