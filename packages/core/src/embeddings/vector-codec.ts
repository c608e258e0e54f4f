// How a pack stores its vectors, and the float32 values they mean. A quantized
// pack is a different (public) embedding, not an approximation of one: the
// stored values define the vectors every mechanism, the table, d_min and d_max
// use, so the guarantees hold for the pack as it is.
//
// int8 uses one scale per dimension, scale[j] = max_i |v_ij| / 127 (float32), and
// q_ij = round(v_ij / scale[j]). Measured on the default pack (GloVe 6B 100d, 50k
// words) over 128,000 word-neighbour pairs: mean relative change of a distance
// 0.14% (largest 1.25%), and the int8 values compress to 4.20 MB with brotli.
// One scale per row halves the error (0.074%) but compresses to 4.71 MB; the
// small-packs budget is for bytes on the wire, so per dimension it is.
import { InvalidOptionError } from "../errors.js";
import type { VectorType } from "./pack-format.js";

/** Vectors as a pack stores them. */
export interface EncodedVectors {
  type: VectorType;
  /** n*d values: float32, float16 bits or int8, as bytes. */
  data: Uint8Array;
  /** int8 only: d float32 scales. */
  scales?: Float32Array;
  /** The float32 values the stored ones mean (what every mechanism uses). */
  values: Float32Array;
}

/** Encodes float32 vectors as `type`. Values beyond float16's range (65,504) cannot be float16. */
export function encodeVectors(vectors: Float32Array, d: number, type: VectorType): EncodedVectors {
  if (type === "f32") return { type, data: new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength), values: vectors };
  if (type === "f16") return encodeFloat16(vectors);
  return encodeInt8(vectors, d);
}

function encodeFloat16(vectors: Float32Array): EncodedVectors {
  const bits = new Uint16Array(vectors.length);
  const values = new Float32Array(vectors.length);
  for (let i = 0; i < vectors.length; i++) {
    const h = float16Bits(vectors[i]!);
    if ((h & 0x7c00) === 0x7c00) throw new InvalidOptionError(`vector value ${vectors[i]} at ${i} is outside float16's range; use int8 or f32`);
    bits[i] = h;
    values[i] = float16Value(h);
  }
  return { type: "f16", data: new Uint8Array(bits.buffer), values };
}

function encodeInt8(vectors: Float32Array, d: number): EncodedVectors {
  const n = vectors.length / d;
  const scales = new Float32Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) scales[j] = Math.max(scales[j]!, Math.abs(vectors[i * d + j]!));
  for (let j = 0; j < d; j++) scales[j] = Math.fround(scales[j]! / 127) || 1; // a dimension that is zero everywhere keeps scale 1
  const q = new Int8Array(vectors.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) q[i * d + j] = Math.max(-127, Math.min(127, Math.round(vectors[i * d + j]! / scales[j]!)));
  return { type: "int8", data: new Uint8Array(q.buffer), scales, values: int8Values(q, scales, d) };
}

/** The float32 values of int8 vectors: fround(q * scale[j]). */
export function int8Values(q: Int8Array, scales: Float32Array, d: number): Float32Array {
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i += d) for (let j = 0; j < d; j++) out[i + j] = Math.fround(q[i + j]! * scales[j]!);
  return out;
}

/** The float32 values of float16 bits (exact). */
export function float16Values(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16Value(bits[i]!);
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of x, rounded to nearest, ties to even (overflow to infinity). */
export function float16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // infinity or NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: zero
    const m = mant | 0x800000; // the implicit bit
    const shift = 14 - e;
    return sign | roundShift(m, shift);
  }
  return sign | ((e << 10) + roundShift(mant, 13)); // a carry out of the mantissa bumps the exponent, as it should
}

/** m >> shift rounded to nearest, ties to even. */
function roundShift(m: number, shift: number): number {
  const q = m >>> shift;
  const rest = m - (q << shift);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (q & 1) === 1) ? q + 1 : q;
}

/** The value of IEEE 754 binary16 bits. */
export function float16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}
