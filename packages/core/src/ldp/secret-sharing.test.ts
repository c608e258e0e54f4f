import { test } from "node:test";
import assert from "node:assert/strict";
import { addShares, decodeFixed, encodeFixed, fromRing, reconstruct, share, shareFromString, shareToString, toRing } from "./secret-sharing.js";
import { seededSource } from "../random/seeded.js";
import { ALPHA, chiSquareTest, testSeed } from "../test-support/gof.js";
import { InvalidOptionError } from "../errors.js";

// The table from "Computing on private data" (Amazon Science; docs/mechanisms.md, "Local-DP primitives"): row = whose raise, column = who holds the share.
const RAISES = [3800n, 2514n, 2982n, 3390n];
const TABLE = [
  [-1000n, 2500n, 900n, 1400n],
  [700n, 400n, 650n, 764n],
  [750n, -100n, 832n, 1500n],
  [1500n, 900n, -3000n, 3990n],
];

test("the four engineers' table: shares sum to each raise, holders' sums are 1950, 3700, -618, 7654, total 12686, average 3171.5", () => {
  TABLE.forEach((row, i) => assert.equal(reconstruct(row.map(toRing)), RAISES[i]));
  const holderSums = [0, 1, 2, 3].map((h) => fromRing(addShares(...TABLE.map((row) => toRing(row[h]!)))));
  assert.deepEqual(holderSums, [1950n, 3700n, -618n, 7654n]);
  const total = reconstruct(holderSums.map(toRing));
  assert.equal(total, 12686n);
  // The average at one decimal: 126860 tenths / 4 = 31715 tenths.
  assert.equal(decodeFixed((total * 10n) / 4n, 1), "3171.5");
});

test("random shares of the four raises: each holder's sum alone is noise, the holders' sums still total 12686", () => {
  const random = seededSource(testSeed(61));
  const rows = RAISES.map((r) => share(r, 4, { random }));
  rows.forEach((row, i) => assert.equal(reconstruct(row), RAISES[i]));
  const holderSums = [0, 1, 2, 3].map((h) => addShares(...rows.map((row) => row[h]!)));
  assert.equal(reconstruct(holderSums), 12686n);
});

test("secret sharing round-trips negative values, 64-bit edges and fixed-point decimals, and shares travel as strings", () => {
  const random = seededSource(testSeed(62));
  for (const v of [0n, -1n, 1n, -(2n ** 63n), 2n ** 63n - 1n, 123456789012345n]) {
    const s = share(v, 3, { random });
    assert.equal(reconstruct(s.map((x) => shareFromString(shareToString(x)))), v);
  }
  assert.equal(encodeFixed(0.1, 2), 10n);
  assert.equal(encodeFixed("137.25", 2), 13725n);
  assert.equal(encodeFixed(-2.5, 1), -25n);
  assert.equal(decodeFixed(encodeFixed("-0.05", 2), 2), "-0.05");
  assert.equal(decodeFixed(317150n, 2), "3171.50");
  assert.throws(() => encodeFixed("1.234", 2), InvalidOptionError);
  assert.throws(() => encodeFixed("12a", 2), InvalidOptionError);
  assert.throws(() => encodeFixed(Number.NaN, 2), InvalidOptionError);
  assert.throws(() => shareFromString("-5"), InvalidOptionError);
  assert.throws(() => shareFromString("18446744073709551616"), InvalidOptionError);
  assert.throws(() => share(5 as unknown as bigint, 2), InvalidOptionError);
  assert.throws(() => share(5n, 1), InvalidOptionError);
});

test("a single share is uniform whatever the secret (its top byte fits the uniform law)", () => {
  const random = seededSource(testSeed(63));
  const N = 100_000;
  const counts = new Map<number, number>();
  for (let i = 0; i < N; i++) {
    const top = Number(share(3800n, 2, { random })[1]! >> 56n);
    counts.set(top, (counts.get(top) ?? 0) + 1);
  }
  const uniform = new Map(Array.from({ length: 256 }, (_, i) => [i, 1 / 256] as [number, number]));
  assert.ok(chiSquareTest(counts, uniform, N).p > ALPHA);
});
