// The vector encodings: float16 is IEEE binary16 (round to nearest even), int8
// one scale per dimension; each decodes to the float32 values the pack means.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeVectors, float16Bits, float16Value, float16Values, int8Values } from "./vector-codec.js";
import { InvalidOptionError } from "../errors.js";

test("float16: every finite bit pattern round-trips, and known values encode as IEEE binary16", () => {
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00) continue; // infinities and NaNs
    assert.equal(float16Bits(float16Value(h)), h, `bits ${h.toString(16)}`);
  }
  const cases: [number, number][] = [
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff], // the largest finite
    [65520, 0x7c00], // rounds up to infinity
    [2 ** -24, 0x0001], // the smallest subnormal
    [2 ** -25, 0x0000], // half of it: a tie, to even (zero)
    [3 * 2 ** -25, 0x0002], // 1.5 subnormal steps: a tie, to even (2)
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next: to even
    [1 + 3 * 2 ** -11, 0x3c02],
    [-0, 0x8000],
    [0.1, 0x2e66],
  ];
  for (const [x, h] of cases) assert.equal(float16Bits(x), h, `${x}`);
});

test("float16 vectors decode to the nearest binary16 values; out of range is refused", () => {
  const v = Float32Array.from([0.1, -3.25, 1000.7, 1e-6]);
  const e = encodeVectors(v, 2, "f16");
  assert.deepEqual(float16Values(new Uint16Array(e.data.buffer)), e.values);
  for (let i = 0; i < v.length; i++) assert.ok(Math.abs(e.values[i]! - v[i]!) <= Math.abs(v[i]!) * 2 ** -11 + 2 ** -25, `value ${i}`);
  assert.throws(() => encodeVectors(Float32Array.from([70000]), 1, "f16"), InvalidOptionError);
});

test("int8: one scale per dimension (its largest magnitude maps to 127), values fround(q * scale)", () => {
  const d = 3;
  const v = Float32Array.from([0.5, -2, 0, -0.25, 1, 0, 0.125, 0.5, 0]);
  const e = encodeVectors(v, d, "int8");
  assert.deepEqual(Array.from(e.scales!), [Math.fround(0.5 / 127), Math.fround(2 / 127), 1]); // an all-zero dimension keeps scale 1
  const q = new Int8Array(e.data.buffer);
  assert.equal(q[0], 127);
  assert.equal(q[1], -127);
  assert.equal(q[3], Math.round(-0.25 / e.scales![0]!)); // about -63.5: the float32 scale decides the side
  assert.deepEqual(e.values, int8Values(q, e.scales!, d));
  for (let i = 0; i < v.length; i++) assert.ok(Math.abs(e.values[i]! - v[i]!) <= e.scales![i % d]! / 2 + 1e-7, `value ${i} within half a step`);
});
