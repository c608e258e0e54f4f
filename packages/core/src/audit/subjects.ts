// Audit subjects for Veil's own mechanisms, and the word pairs worth auditing.
import type { Veil } from "../veil.js";
import type { MechanismOptions } from "../mechanisms/options.js";
import { temRadius } from "../mechanisms/tem.js";
import { hasTable, wordDistance } from "../embeddings/embedding.js";
import type { AuditPair, AuditSubject } from "./audit.js";

/** A Veil's mechanism as `runAudit` tests it, with a mutant whose epsilon (M4: λ) is 10% off for the power check. */
export function veilSubject(veil: Veil, o: MechanismOptions): AuditSubject {
  const e = veil.embedding;
  const off: MechanismOptions = o.mechanism === "gumbel" ? { ...o, lambda: 1.1 * (o.lambda ?? Math.log(e.n - 1)) } : { ...o, epsilon: 1.1 * o.epsilon };
  return {
    name: o.mechanism,
    claim: o.mechanism === "gumbel" ? null : o.epsilon,
    sample: (w, count) => veil.privatizeIds(new Int32Array(count).fill(w), o),
    law: (w) => (o.mechanism === "laplace" ? null : veil.law(e.words[w]!, o)),
    offLaw: (w) => (o.mechanism === "laplace" ? null : veil.law(e.words[w]!, off)),
    distance: (a, b) => wordDistance(e, a, b),
  };
}

/**
 * Pairs that stress a claim: each probe word with its nearest neighbour; with the
 * table neighbour whose own neighbour list overlaps its list least (candidate
 * sets differ most); with the neighbour nearest TEM's radius (one inside, one
 * at the edge); and with a far word.
 */
export function auditPairs(veil: Veil, o: MechanismOptions, probes: number[]): AuditPair[] {
  const e = veil.embedding;
  if (!hasTable(e)) throw new Error("the audit needs a pack with a neighbour table");
  const K = e.K;
  const row = (w: number) => Array.from(e.neighbours!.subarray(w * K, (w + 1) * K));
  const pairs: AuditPair[] = [];
  for (const w of probes) {
    const nbrs = row(w);
    pairs.push({ a: w, b: nbrs[0]!, kind: "nearest" });
    const mine = new Set(nbrs);
    let worst = nbrs[0]!,
      worstOverlap = Infinity;
    for (const y of nbrs.slice(0, 16)) {
      const overlap = row(y).filter((z) => mine.has(z)).length;
      if (overlap < worstOverlap) ((worstOverlap = overlap), (worst = y));
    }
    pairs.push({ a: w, b: worst, kind: "sets-differ" });
    if (o.mechanism === "tem") {
      const gamma = temRadius(e.n, o.epsilon, o.beta);
      let best = nbrs[0]!;
      for (const y of nbrs) if (Math.abs(wordDistance(e, w, y) - gamma) < Math.abs(wordDistance(e, w, best) - gamma)) best = y;
      pairs.push({ a: w, b: best, kind: "tem-radius" });
    }
    let far = 0;
    for (let y = 0; y < e.n; y += Math.max(1, Math.floor(e.n / 500))) if (y !== w && wordDistance(e, w, y) > wordDistance(e, w, far)) far = y;
    pairs.push({ a: w, b: far, kind: "far" });
  }
  return pairs;
}
