import { test } from "node:test";
import assert from "node:assert/strict";
import { createVeil } from "../veil.js";
import { toyEmbedding } from "../test-support/toy.js";

test("realized privacy: within epsilon for M2 and M3 (metric DP), reported for M4, none for M1", async () => {
  const veil = await createVeil({ pack: toyEmbedding(300, 8, 24, 3), backend: "wasm" });
  for (const mechanism of ["exponential", "tem"] as const) {
    const rows = veil.realizedPrivacy("w7", { mechanism, epsilon: 3 }, 5)!;
    assert.equal(rows.length, 5);
    for (const r of rows) {
      assert.ok(r.epsilon > 0 && r.epsilon <= 3 * (1 + 1e-9), `${mechanism}: ${r.epsilon}`);
      assert.equal(r.exclusiveMass, 0);
    }
  }
  const m4 = veil.realizedPrivacy("w7", { mechanism: "gumbel", epsilon: veil.minEpsilon("gumbel") * 2 }, 3)!;
  for (const r of m4) {
    assert.ok(Number.isFinite(r.epsilon) && r.epsilon >= 0);
    assert.ok(r.exclusiveMass >= 0 && r.exclusiveMass <= 1);
  }
  assert.equal(veil.realizedPrivacy("w7", { mechanism: "laplace", epsilon: 3 }), null);
});
