// `veil audit`: runs the audit of @veil/core on a pack, for people (a table) and
// machines (JSON). Exit status 1 when a claim fails.
import {
  auditFitWords,
  auditPairs,
  runAudit,
  veilSubject,
  type AuditReport,
  type MechanismName,
  type MechanismOptions,
  type Veil,
  MECHANISM_INFO,
} from "@veil/core";

/**
 * Epsilons where each law is far from degenerate on a GloVe-like pack (TEM at 5:
 * radius 7.1, beyond the neighbour table, so its full-row path is audited;
 * 1-Diffractor's epsilon is per list position, so it is small).
 */
const DEFAULT_EPSILON: Record<Exclude<MechanismName, "gumbel">, number> = {
  laplace: 10,
  exponential: 5,
  tem: 5,
  mahalanobis: 10,
  vickrey: 10,
  santext: 5,
  custext: 3,
  diffractor: 0.5,
  "laplace-rank": 10,
};
/** M1 and the mechanisms built on its noise have no exact law and sample at ~2,000-3,000 words/s, so they get fewer samples. */
const DEFAULT_SAMPLES: Record<MechanismName, number> = {
  laplace: 20_000,
  exponential: 200_000,
  tem: 200_000,
  gumbel: 200_000,
  mahalanobis: 20_000,
  vickrey: 20_000,
  santext: 200_000,
  custext: 200_000,
  diffractor: 200_000,
  "laplace-rank": 20_000,
};

export interface RealizedSummary {
  pairs: number;
  epsilonPerUnit: { min: number; median: number; p90: number; max: number };
  exclusiveMass: { median: number; p90: number; max: number };
}

export interface FullAudit {
  pack: { n: number; d: number; sha256: string };
  reports: (AuditReport & { epsilon: number; seconds: number; realized?: RealizedSummary })[];
  passed: boolean;
  table: string;
}

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1)))]!;

export function audit(
  veil: Veil,
  mechanisms: MechanismName[],
  o: { epsilon?: number | undefined; samples?: number | undefined; log: (line: string) => void },
): FullAudit {
  const e = veil.embedding;
  const probes = [100, 2000].filter((w) => w < e.n);
  if (probes.length === 0) probes.push(0);
  const reports: FullAudit["reports"] = [];
  for (const m of mechanisms) {
    const epsilon = o.epsilon ?? (m === "gumbel" ? Math.ceil(veil.minEpsilon("gumbel")) + 6 : DEFAULT_EPSILON[m]);
    const opts: MechanismOptions = { mechanism: m, epsilon };
    const samples = o.samples ?? DEFAULT_SAMPLES[m];
    o.log(`audit ${MECHANISM_INFO[m].id} ${m}, epsilon ${epsilon}, ${samples} samples per word…`);
    const t0 = performance.now();
    const r = runAudit(veilSubject(veil, opts), { samples, fitWords: auditFitWords(veil, opts, probes), pairs: auditPairs(veil, opts, probes) });
    let realized: RealizedSummary | undefined;
    if (m === "gumbel") {
      // M4 claims no bound: report its exact realized privacy over nearest-neighbour pairs.
      const eps: number[] = [];
      const mass: number[] = [];
      for (let w = 0; w < e.n; w += Math.max(1, Math.floor(e.n / 200))) {
        const rp = veil.realizedPrivacy(e.words[w]!, opts, 1)?.[0];
        if (rp) (eps.push(rp.epsilon), mass.push(rp.exclusiveMass));
      }
      eps.sort((a, b) => a - b);
      mass.sort((a, b) => a - b);
      realized = {
        pairs: eps.length,
        epsilonPerUnit: { min: eps[0]!, median: q(eps, 0.5), p90: q(eps, 0.9), max: eps.at(-1)! },
        exclusiveMass: { median: q(mass, 0.5), p90: q(mass, 0.9), max: mass.at(-1)! },
      };
    }
    reports.push({ ...r, epsilon, seconds: (performance.now() - t0) / 1000, ...(realized && { realized }) });
  }
  const lines: string[] = [`Veil privacy audit: pack n=${e.n} d=${e.d} (${e.sha256.slice(0, 12)}), alpha ${reports[0]?.alpha ?? 1e-6} per test`];
  for (const r of reports) {
    const id = MECHANISM_INFO[r.mechanism as MechanismName].id;
    lines.push(
      "",
      `${id} ${r.mechanism}  epsilon ${r.epsilon}  claim ${r.claim === null ? "none (realized privacy reported)" : `epsilon per unit of ${r.metric}`}  ${r.passed ? "PASS" : "FAIL"}  (${r.seconds.toFixed(0)} s)`,
    );
    for (const f of r.noise)
      lines.push(
        `  noise ${f.name}: exact law p = ${f.p.toExponential(2)} ${f.pass ? "ok" : "REJECTED"}; 10%-off law p = ${f.powerP.toExponential(2)} ${f.powerOk ? "rejected (power ok)" : "NOT REJECTED (no power)"}`,
      );
    for (const f of r.fit)
      lines.push(
        `  fit  ${e.words[f.word]}: exact law p = ${f.p.toExponential(2)} ${f.pass ? "ok" : "REJECTED"}; 10%-off law p = ${f.powerP.toExponential(2)} ${f.powerOk ? "rejected (power ok)" : "NOT REJECTED (no power)"}`,
      );
    for (const p of r.pairs) {
      const bound = p.bound === null ? "no claim" : `claim ${p.bound.toFixed(3)}`;
      lines.push(
        `  pair ${p.kind.padEnd(11)} ${e.words[p.a]}/${e.words[p.b]} d=${p.distance.toFixed(3)}: ln ratio >= ${Number.isFinite(p.lowerBound) ? p.lowerBound.toFixed(3) : "-inf"} (est. ${p.estimate.toFixed(3)}, |E|=${p.eventSize}), ${bound}${p.exclusiveMass ? `, one-sided mass ${p.exclusiveMass.toExponential(2)}` : ""} ${p.pass ? "ok" : "FAIL"}`,
      );
    }
    if (r.realized)
      lines.push(
        `  realized privacy over ${r.realized.pairs} nearest-neighbour pairs: max ln(P(y|w)/P(y|w'))/d median ${r.realized.epsilonPerUnit.median.toFixed(3)}, p90 ${r.realized.epsilonPerUnit.p90.toFixed(3)}, max ${r.realized.epsilonPerUnit.max.toFixed(3)}; one-sided mass median ${r.realized.exclusiveMass.median.toFixed(3)}, max ${r.realized.exclusiveMass.max.toFixed(3)}`,
      );
  }
  const passed = reports.every((r) => r.passed);
  lines.push("", passed ? "All claims held." : "A claim FAILED: see the lines marked FAIL, REJECTED or NOT REJECTED.");
  return { pack: { n: e.n, d: e.d, sha256: e.sha256 }, reports, passed, table: lines.join("\n") };
}
