// M4's sampler takes the argmin as an exponential race with a bound that skips
// most logarithms (gumbel-race.ts, assembly/mechanisms.ts). It must give exactly
// what the plain argmin of d - g gives from the same uniforms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { JsBackend } from "./js.js";
import { createWasmBackend } from "./wasm.js";
import type { Backend, GumbelSamplerParams } from "./backend.js";
import { calibrateGumbel, gumbelMinEpsilon } from "../mechanisms/truncated-gumbel.js";
import { wordDistance, type Embedding } from "../embeddings/embedding.js";
import { poissonFromCdf, truncatedGumbel } from "../random/samplers.js";
import { UniformStream } from "../random/uniform-stream.js";
import { seededSource } from "../random/seeded.js";
import { toyEmbedding } from "../test-support/toy.js";

/** docs/mechanisms.md, M4 steps 3 and 4 as written: argmin over the candidates of d - g, ties to the lower id. */
function plainArgmin(e: Embedding, s: UniformStream, ids: Int32Array, p: GumbelSamplerParams): Int32Array {
  const K = e.K;
  return ids.map((w) => {
    const k = poissonFromCdf(s, p.poissonCdf);
    let bestId = w,
      best = -truncatedGumbel(s, p.b, p.fLow, p.fRange);
    for (let j = 0; j < k; j++) {
      const y = e.neighbours![w * K + j]!;
      const val = wordDistance(e, w, y) - truncatedGumbel(s, p.b, p.fLow, p.fRange);
      if (val < best || (val === best && y < bestId)) ((best = val), (bestId = y));
    }
    s.skip(K - k);
    return bestId;
  });
}

const e = toyEmbedding(500, 12, 24, 21);
const ids = Int32Array.from({ length: 30_000 }, (_, i) => (i * 7919) % e.n);
const min = gumbelMinEpsilon(e);
const settings: [string, GumbelSamplerParams][] = [
  ["calibrated, just above the smallest epsilon", calibrateGumbel(e, min * 1.01)],
  ["calibrated, epsilon 3x the smallest", calibrateGumbel(e, min * 3)],
  ["calibrated, a huge epsilon", calibrateGumbel(e, min * 1000)],
  ["explicit scale 0.2 (noise far narrower than the distances)", calibrateGumbel(e, 1, { scale: 0.2 })],
  ["explicit scale 0.5", calibrateGumbel(e, 1, { scale: 0.5, lambda: 20 })],
  ["explicit scale 1e6 (noise far wider)", calibrateGumbel(e, 1, { scale: 1e6 })],
];

for (const backend of ["js", "wasm"] as const) {
  test(`${backend}: the race gives the plain argmin of d - g, word for word, from the same uniforms`, async () => {
    const b: Backend = backend === "js" ? new JsBackend(e, seededSource(1)) : await createWasmBackend(e, { random: seededSource(1) });
    for (const [what, p] of settings) {
      for (const seed of [3, 4]) {
        b.setRandomSource(seededSource(seed));
        const got = b.gumbelBatch(ids, p);
        const want = plainArgmin(e, new UniformStream(seededSource(seed)), ids, p);
        assert.deepEqual(got, want, `${what}, seed ${seed}`);
        const changed = got.filter((y, i) => y !== ids[i]).length;
        assert.ok(changed > 0 && changed < ids.length, `${what}: ${changed} of ${ids.length} changed, so the comparison is not vacuous`);
      }
    }
  });
}

test("the race's scale cache follows b: one backend alternating two scales gives each scale's own outputs", async () => {
  const b = await createWasmBackend(e, { random: seededSource(1) });
  const [, p1] = settings[1]!,
    [, p2] = settings[4]!;
  for (const p of [p1, p2, p1]) {
    b.setRandomSource(seededSource(9));
    assert.deepEqual(b.gumbelBatch(ids, p), plainArgmin(e, new UniformStream(seededSource(9)), ids, p));
  }
});
