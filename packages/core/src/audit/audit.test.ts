// The audit must pass Veil's mechanisms and fail deliberately broken ones
// (issue 8's mutation check), so it cannot silently lose its power.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil, type Veil } from "../veil.js";
import { useSeededRandom } from "../testing.js";
import { toyEmbedding } from "../test-support/toy.js";
import { testSeed } from "../test-support/gof.js";
import { seededSource } from "../random/seeded.js";
import { UniformStream } from "../random/uniform-stream.js";
import { truncatedGumbel } from "../random/samplers.js";
import { wordDistance } from "../embeddings/embedding.js";
import { temRadius } from "../mechanisms/tem.js";
import type { MechanismOptions } from "../mechanisms/options.js";
import { runAudit, type AuditSubject } from "./audit.js";
import { auditPairs, veilSubject } from "./subjects.js";

const toy = toyEmbedding(60, 5, 16, 3);
const SAMPLES = 200_000;
const PROBES = [7];

async function veil(): Promise<Veil> {
  const v = await createVeil({ pack: toy, backend: "wasm" });
  useSeededRandom(v, testSeed(808));
  return v;
}

/** A sampler drawing from explicit weights by inverse CDF (for mutants that change the law). */
function weightSampler(weights: (w: number) => Float64Array, seed: number): (w: number, count: number) => Int32Array {
  const u = new UniformStream(seededSource(testSeed(seed)));
  return (w, count) => {
    const wt = weights(w);
    const cdf = new Float64Array(wt.length);
    let s = 0;
    wt.forEach((x, i) => (cdf[i] = s += x));
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const t = u.next() * s;
      let lo = 0,
        hi = wt.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! < t) lo = mid + 1;
        else hi = mid;
      }
      out[i] = lo;
    }
    return out;
  };
}

function audit(subject: AuditSubject, o: MechanismOptions, v: Veil) {
  return runAudit(subject, { samples: SAMPLES, fitWords: PROBES, pairs: auditPairs(v, o, PROBES) });
}

const CORRECT: MechanismOptions[] = [
  { mechanism: "exponential", epsilon: 4 },
  { mechanism: "tem", epsilon: 7.5, beta: 0.3 },
  { mechanism: "gumbel", epsilon: 1, scale: 0.3 },
  { mechanism: "laplace", epsilon: 4 },
];

for (const o of CORRECT) {
  test(`the audit passes ${o.mechanism} as built (fit, power, empirical epsilon, support)`, async () => {
    const v = await veil();
    const r = audit(veilSubject(v, o), o, v);
    assert.ok(r.passed, JSON.stringify({ fit: r.fit, pairs: r.pairs.filter((p) => !p.pass) }));
    if (o.mechanism !== "laplace") assert.ok(r.fit.length > 0 && r.fit.every((f) => f.powerOk));
  });
}

test("mutant: epsilon doubled (M2 and M3 sampled at 2x the claimed epsilon) fails the audit", async () => {
  const v = await veil();
  for (const o of CORRECT.slice(0, 2)) {
    const subject = { ...veilSubject(v, o), sample: veilSubject(v, { ...o, epsilon: 2 * o.epsilon }).sample };
    const r = audit(subject, o, v);
    assert.ok(!r.passed, `${o.mechanism} with doubled epsilon passed`);
    assert.ok(r.fit.some((f) => !f.pass));
  }
});

test("mutant: M2 without the factor 2 (P proportional to exp(-epsilon d)) fails the audit, also on the epsilon bound", async () => {
  const v = await veil();
  const o: MechanismOptions = { mechanism: "exponential", epsilon: 4 };
  const sample = weightSampler((w) => Float64Array.from({ length: toy.n }, (_, y) => Math.exp(-o.epsilon * wordDistance(toy, w, y))), 811);
  const r = audit({ ...veilSubject(v, o), sample }, o, v);
  assert.ok(!r.passed);
  assert.ok(
    r.fit.some((f) => !f.pass),
    "the fit test should reject",
  );
});

test("mutant: TEM's catch-all score without its ln(n - |L_w|) term fails the audit", async () => {
  const v = await veil();
  const o: MechanismOptions = { mechanism: "tem", epsilon: 7.5, beta: 0.3 };
  const gamma = temRadius(toy.n, o.epsilon, o.beta);
  const sample = weightSampler((w) => {
    const d = Float64Array.from({ length: toy.n }, (_, y) => wordDistance(toy, w, y));
    const outside = d.filter((x) => x > gamma).length;
    return d.map((x) => (x <= gamma ? Math.exp((-o.epsilon * x) / 2) : Math.exp((-o.epsilon * gamma) / 2) / outside));
  }, 812);
  const r = audit({ ...veilSubject(v, o), sample }, o, v);
  assert.ok(!r.passed && r.fit.some((f) => !f.pass));
});

/** docs/mechanisms.md, M4 written out in TypeScript, with the sign of the Gumbel noise as a parameter. */
function gumbelReference(o: { scale: number }, sign: 1 | -1, seed: number): (w: number, count: number) => Int32Array {
  const u = new UniformStream(seededSource(testSeed(seed)));
  const b = o.scale;
  const m = toy.dMax;
  const F = (x: number) => Math.exp(-Math.exp(-x / b));
  const fLow = F(-m),
    fRange = F(m) - F(-m);
  const lambda = Math.log(toy.n - 1);
  return (w, count) => {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      let k = 0,
        p = Math.exp(-lambda),
        c = p;
      const t = u.next();
      while (t > c && k < toy.K) ((k += 1), (p *= lambda / k), (c += p));
      let best = w,
        bestScore = sign * truncatedGumbel(u, b, fLow, fRange); // the word itself, distance 0
      for (let j = 0; j < k; j++) {
        const y = toy.neighbours![w * toy.K + j]!;
        const score = sign * truncatedGumbel(u, b, fLow, fRange) - wordDistance(toy, w, y);
        if (score > bestScore) ((bestScore = score), (best = y));
      }
      out[i] = best;
    }
    return out;
  };
}

test("mutant: M4 with the Gumbel sign flipped fails the audit; the same reference with the right sign passes", async () => {
  const v = await veil();
  const o = { mechanism: "gumbel" as const, epsilon: 1, scale: 0.3 };
  const right = audit({ ...veilSubject(v, o), sample: gumbelReference(o, 1, 813) }, o, v);
  assert.ok(right.passed, JSON.stringify(right.fit));
  const flipped = audit({ ...veilSubject(v, o), sample: gumbelReference(o, -1, 814) }, o, v);
  assert.ok(!flipped.passed && flipped.fit.some((f) => !f.pass));
});

test("mutant: M1 with epsilon doubled is caught by the empirical epsilon bound (it has no exact law)", async () => {
  const v = await veil();
  const o: MechanismOptions = { mechanism: "laplace", epsilon: 4 };
  const subject = { ...veilSubject(v, o), sample: veilSubject(v, { ...o, epsilon: 2 * o.epsilon }).sample };
  const r = audit(subject, o, v);
  assert.ok(!r.passed, JSON.stringify(r.pairs.map((p) => [p.kind, p.bound, p.lowerBound])));
});

// The peers' bugs that docs/mechanisms.md names, as mutants the audit must fail.

test("mutant: Mahalanobis with A·u re-normalised to unit length fails the audit's noise check", async () => {
  const { backendOf } = await import("../testing.js");
  const { mahalanobisFactors } = await import("../mechanisms/mahalanobis.js");
  const { multiplyVector } = await import("../math/symmetric-eigen.js");
  const { radialNoiseCheck } = await import("./noise-checks.js");
  const { mahalanobisRadii } = await import("./subjects.js");
  // On an isotropic vocabulary A is close to I and re-normalising changes nothing:
  // stretch the dimensions (x4 ... x0.25) so the covariance has a shape.
  const stretch = [4, 2, 1, 0.5, 0.25];
  const { buildNeighbourTable } = await import("../embeddings/neighbour-table.js");
  const { JsBackend } = await import("../backends/js.js");
  const flat = { ...toy, vectors: toy.vectors.map((x, i) => x * stretch[i % 5]!), neighbours: null, K: 0 };
  const t = buildNeighbourTable(new JsBackend(flat), 16);
  const shaped = { ...flat, neighbours: t.ids, K: t.K, dMin: t.dMin, dMax: t.dMax };
  const v = await createVeil({ pack: shaped, backend: "wasm" });
  useSeededRandom(v, testSeed(816));
  const o: MechanismOptions = { mechanism: "mahalanobis", epsilon: 4 };
  const b = backendOf(v);
  const f = mahalanobisFactors(shaped, 0.2);
  const d = shaped.d;
  const renormalised = (ids: Int32Array) => {
    const pts = new Float64Array(ids.length * d);
    ids.forEach((w, i) => {
      const z = b.laplaceNoise(o.epsilon); // r·u
      const r = Math.hypot(...z);
      const au = multiplyVector(
        f.sqrt,
        z.map((x) => x / r),
        d,
      );
      const norm = Math.hypot(...au);
      for (let k = 0; k < d; k++) pts[i * d + k] = shaped.vectors[w * d + k]! + (r * au[k]!) / norm;
    });
    return pts;
  };
  const noise = [radialNoiseCheck("re-normalised", (count) => mahalanobisRadii(b, PROBES[0]!, count, o.epsilon, f, renormalised), d, o.epsilon)];
  const right = audit(veilSubject(v, o), o, v);
  assert.ok(right.passed && right.noise.length > 0, JSON.stringify(right.noise));
  const r = audit({ ...veilSubject(v, o), noise }, o, v);
  assert.ok(!r.passed && r.noise.some((x) => !x.pass), JSON.stringify(r.noise));
});

test("mutant: Vickrey that drops the nearest word when it is the input fails the audit", async () => {
  const { backendOf } = await import("../testing.js");
  const { laplacePoints } = await import("../mechanisms/laplace.js");
  const { vickreyChoose } = await import("../mechanisms/vickrey.js");
  const { vickreyChoiceCheck } = await import("./subjects.js");
  const v = await veil();
  const o: MechanismOptions = { mechanism: "vickrey", epsilon: 4 };
  const b = backendOf(v);
  // The peer's rule: if the nearest word to the noisy point is the input, output the second.
  const peerChoose = (points: Float64Array, count: number, input: number) => {
    const two = b.nearestTwo(points, count);
    const fair = vickreyChoose(b, points, count, 0.75);
    return fair.map((y, i) => (two.ids[2 * i] === input ? two.ids[2 * i + 1]! : y));
  };
  const sample = (w: number, count: number) => peerChoose(laplacePoints(b, new Int32Array(count).fill(w), o.epsilon), count, w);
  const noise = [vickreyChoiceCheck(b, PROBES[0]!, 0.75, peerChoose)];
  const r = audit({ ...veilSubject(v, o), sample, noise }, o, v);
  assert.ok(!r.passed, JSON.stringify({ noise: r.noise, pairs: r.pairs.map((p) => [p.kind, p.bound, p.lowerBound]) }));
  assert.ok(
    r.noise.some((x) => !x.pass),
    "the choice check rejects it",
  );
});

test("mutant: CusText with unnormalised scores (exp(-epsilon d / 2) over the group) fails the audit", async () => {
  const { custextGroups } = await import("../embeddings/derived.js");
  const v = await veil();
  const o: MechanismOptions = { mechanism: "custext", epsilon: 2, groupSize: 10 };
  const g = custextGroups(toy, 10);
  const sample = weightSampler((w) => {
    const gi = g.groupOf[w]!;
    return Float64Array.from({ length: toy.n }, (_, y) => (g.groupOf[y] === gi ? Math.exp((-o.epsilon * wordDistance(toy, w, y)) / 2) : 0));
  }, 815);
  const { auditPairs: pairsOf } = await import("./subjects.js");
  const r = runAudit({ ...veilSubject(v, o), sample }, { samples: SAMPLES, fitWords: PROBES, pairs: pairsOf(v, o, PROBES) });
  assert.ok(!r.passed && r.fit.some((f) => !f.pass), JSON.stringify(r.fit));
});

test("mutant: 1-Diffractor with its noise 10% off (sampled at 1.1 epsilon) fails the audit; as built it passes", async () => {
  const v = await veil();
  const o: MechanismOptions = { mechanism: "diffractor", epsilon: 0.4 };
  const { auditPairs: pairsOf } = await import("./subjects.js");
  const run = (subject: AuditSubject) => runAudit(subject, { samples: SAMPLES, fitWords: PROBES, pairs: pairsOf(v, o, PROBES) });
  assert.ok(run(veilSubject(v, o)).passed);
  const r = run({ ...veilSubject(v, o), sample: veilSubject(v, { ...o, epsilon: 1.1 * o.epsilon }).sample });
  assert.ok(!r.passed && r.fit.some((f) => !f.pass), JSON.stringify(r.fit));
});
