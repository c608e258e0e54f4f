// Randomness and side channels (issue 8): every word mechanism consumes the same
// random stream whatever the input word and its output, and a failing
// crypto.getRandomValues makes perturbation fail and release nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil } from "../veil.js";
import { useSeededRandom } from "../testing.js";
import { toyEmbedding } from "../test-support/toy.js";
import { RandomSourceError } from "../errors.js";
import { share } from "../ldp/secret-sharing.js";
import type { MechanismOptions } from "../mechanisms/options.js";

const toy = toyEmbedding(80, 6, 16, 11);
const OPTIONS: MechanismOptions[] = [
  { mechanism: "laplace", epsilon: 3 },
  { mechanism: "exponential", epsilon: 3 },
  { mechanism: "tem", epsilon: 6, beta: 0.3 },
  { mechanism: "gumbel", epsilon: 1, scale: 0.4 },
  { mechanism: "mahalanobis", epsilon: 3 },
  { mechanism: "vickrey", epsilon: 3 },
  { mechanism: "santext", epsilon: 3 },
  { mechanism: "custext", epsilon: 2, groupSize: 10 },
  { mechanism: "diffractor", epsilon: 0.5 },
  { mechanism: "diffractor", epsilon: 0.5, variant: "list-tem" },
  { mechanism: "laplace-rank", epsilon: 3, c: 0.3 },
];

for (const backend of ["wasm", "js"] as const) {
  for (const o of OPTIONS) {
    test(`${o.mechanism} (${backend}) consumes the same randomness whatever the word and its output`, async () => {
      const v = await createVeil({ pack: toy, backend });
      // After 3,000 draws for word A, or for word B, the stream must stand at the same
      // place: the next 200 draws for word C then come out identical.
      const after = (w: number) => {
        useSeededRandom(v, 4242);
        const first = v.privatizeIds(new Int32Array(3000).fill(w), o);
        return { first, next: v.privatizeIds(new Int32Array(200).fill(40), o) };
      };
      const a = after(3);
      const b = after(71);
      assert.notDeepEqual(a.first, b.first, "the two words should give different outputs");
      assert.deepEqual(a.next, b.next);
    });
  }
}

test("a crypto.getRandomValues that is missing or throws makes perturbation fail with RandomSourceError and release nothing", async () => {
  const original = globalThis.crypto.getRandomValues;
  const v = await createVeil({ pack: toy, backend: "wasm" });
  const text = Array.from({ length: 4000 }, (_, i) => `w${i % 80}`).join(" ");
  try {
    for (const failAfter of [0, 1, 3]) {
      let calls = 0;
      Object.defineProperty(globalThis.crypto, "getRandomValues", {
        configurable: true,
        value: (b: Uint8Array) => {
          if (calls++ >= failAfter) throw new Error("entropy source failed");
          return original.call(globalThis.crypto, b);
        },
      });
      for (const o of OPTIONS) {
        const before = calls;
        assert.throws(
          () => v.perturb(text, o),
          (e: unknown) => e instanceof RandomSourceError,
          `${o.mechanism}, failing after ${failAfter} calls`,
        );
        // The call did reach the source and failed there (mid-text when failAfter > 0), rather than being refused up front.
        assert.ok(calls > Math.max(before, failAfter), `${o.mechanism}: the entropy source was called and failed`);
      }
    }
    Object.defineProperty(globalThis.crypto, "getRandomValues", { configurable: true, value: undefined });
    assert.throws(() => v.perturb(text, OPTIONS[1]!), RandomSourceError);
    assert.throws(() => share(5n, 2), RandomSourceError);
  } finally {
    Object.defineProperty(globalThis.crypto, "getRandomValues", { configurable: true, writable: true, value: original });
  }
  assert.ok(v.perturb("w1 w2", OPTIONS[1]!).text.length > 0, "recovers once randomness is back");
});
