// Realized privacy of a word pair (docs/mechanisms.md, M4): from the two exact output laws, the
// largest |ln(P(y|w) / P(y|w'))| / d(w, w') over outputs both words can produce,
// and the probability mass of outputs only one of them can produce (the larger of
// the two directions). For M2 and M3 the first is at most epsilon (metric DP);
// M4 has no stated bound, so this is how its privacy is reported.
import type { OutputLaw } from "../mechanisms/law.js";

/** What one pair of words actually gets from a mechanism, measured on their exact output laws. */
export interface RealizedPrivacy {
  /** Largest log-ratio per unit distance over shared outputs. */
  epsilon: number;
  /** Mass of outputs one word can produce and the other cannot. */
  exclusiveMass: number;
}

/** The realized privacy between two words at `distance`: the largest |ln(P(y|a)/P(y|b))| / distance over shared outputs, and the mass only one of them can produce. */
export function realizedPrivacy(a: OutputLaw, b: OutputLaw, distance: number): RealizedPrivacy {
  let worst = 0,
    onlyA = 0,
    onlyB = 0;
  const seen = new Set<number>();
  const visit = (y: number) => {
    if (seen.has(y)) return;
    seen.add(y);
    const pa = a.prob(y),
      pb = b.prob(y);
    if (pa > 0 && pb > 0) worst = Math.max(worst, Math.abs(Math.log(pa / pb)) / distance);
    else if (pa > 0) onlyA += pa;
    else if (pb > 0) onlyB += pb;
  };
  a.support.forEach(visit);
  b.support.forEach(visit);
  // Words outside both explicit supports: each carries restEach under each law.
  if (a.restEach > 0 && b.restEach > 0 && seen.size < a.n) worst = Math.max(worst, Math.abs(Math.log(a.restEach / b.restEach)) / distance);
  else if (a.restEach > 0) onlyA += a.restEach * Math.max(0, a.n - seen.size);
  else if (b.restEach > 0) onlyB += b.restEach * Math.max(0, b.n - seen.size);
  return { epsilon: worst, exclusiveMass: Math.max(onlyA, onlyB) };
}
