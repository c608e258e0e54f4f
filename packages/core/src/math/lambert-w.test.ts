import { test } from "node:test";
import assert from "node:assert/strict";
import { lambertW0 } from "./lambert-w.js";

test("W0(x) e^W0(x) = x across the branch, and known values", () => {
  for (const x of [-1 / Math.E + 1e-12, -0.3, -0.1, 0, 1e-8, 0.5, 1, Math.E, 3, 10, 77.3, 1e3, 1e6, 1e12, 1e300]) {
    const w = lambertW0(x);
    assert.ok(Math.abs(w * Math.exp(w) - x) <= 1e-12 * Math.max(1, Math.abs(x)), `x=${x}: w=${w}`);
  }
  assert.ok(Math.abs(lambertW0(Math.E) - 1) < 1e-15);
  assert.ok(Math.abs(lambertW0(1) - 0.5671432904097838) < 1e-15);
  assert.ok(Number.isNaN(lambertW0(-1)));
});
