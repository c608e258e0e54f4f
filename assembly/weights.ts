// M2's and M3's weights over a whole distance row (docs/mechanisms.md, M2, "The weights kernel"):
// w(y) = exp(-scale * d(w, y)) where d <= radius, else 0, straight from the float32 squared
// distances that distTile (distances.ts) wrote, four words at a time. Why float32: those
// distances already carry float32 error (below 1e-4), so a float32 square root and a float32
// exponential (relative error below 2e-7 on its float32 argument) add nothing that matters, and
// four lanes with no float64 row in between cost about a third of what the float64 row and the
// scalar Math.exp cost before (88 µs against about 280 µs a word on the default pack, one script).
//
// The exponential: x = max(-scale d, X_FLOOR); k = round(x / ln 2) and r = x - k ln 2 (two-part
// ln 2, so k ln 2's high part is exact for |k| < 2^15); e^r by a polynomial of degree 6
// (|r| <= 0.347, relative error below 1e-7); the result is float64(e^r) * 2^k, exact in float64, so k
// can go down to -1021 where a float32 would have flushed to zero at x = -87. X_FLOOR gives
// every word a weight of at least e^-708 (float64's normal range): a word is never impossible
// for one input and possible for a neighbouring one, which would be an unbounded privacy loss.
//
// The row is cut into blocks of BLOCK words; `weightSums` gives each block's sum and how many
// of its words are within the radius, `weightBlock` one block's weights, with the same lanes
// and the same operations, so a sampler can find its block from the sums and its word in one
// recomputed block (packages/core/src/backends/weight-row.ts).

/** Words per block of the sums. */
export const BLOCK: i32 = 64;

const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693359375; // 9 significant bits: k * LN2_HI is exact
const LN2_LO: f32 = -2.12194440e-4; // ln 2 - LN2_HI
const SHIFT: f32 = 12582912.0; // 1.5 * 2^23: x/ln2 + SHIFT is k + SHIFT, k in the low mantissa bits
const SHIFT_BITS: i32 = 0x4b400000; // reinterpret<i32>(SHIFT)
/** The smallest exponent used: exp(-708) is in float64's normal range. */
const X_FLOOR: f32 = -708.0;

/**
 * e^r for |r| <= 0.347: a degree-6 polynomial fitted for the least largest relative error on
 * that interval, by Horner in float32 (relative error below 1e-7, as measured by evaluating it
 * in float32 on 200,001 points; degree 7's Taylor polynomial gives 8.4e-8 for two more operations).
 */
// @ts-ignore: decorator
@inline
function expReduced(r: v128): v128 {
  let p = f32x4.splat(0.0013836583821102977);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.008374868892133236));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.041668232530355453));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.16666419804096222));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.49999991059303284));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  return f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
}

/** The exponents x = max(-scale d, X_FLOOR) of four float32 squared distances `s` (clamped at 0: float32 cancellation can make them slightly negative). */
// @ts-ignore: decorator
@inline
function exponents4(s: v128, negScale: v128): v128 {
  const d = f32x4.sqrt(f32x4.pmax(s, f32x4.splat(0)));
  return f32x4.pmax(f32x4.mul(d, negScale), f32x4.splat(X_FLOOR)); // pmax: one instruction, where max also orders NaN and -0
}

/** x / ln 2 + SHIFT, rounded: k + SHIFT with k = round(x / ln 2) in the low mantissa bits. */
// @ts-ignore: decorator
@inline
function shiftedK(x: v128): v128 {
  return f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(SHIFT));
}

/** e^x / 2^k = e^r with r = x - k ln 2, for t = shiftedK(x). */
// @ts-ignore: decorator
@inline
function mantissaOf(x: v128, t: v128): v128 {
  const kf = f32x4.sub(t, f32x4.splat(SHIFT));
  return expReduced(f32x4.sub(f32x4.sub(x, f32x4.mul(kf, f32x4.splat(LN2_HI))), f32x4.mul(kf, f32x4.splat(LN2_LO))));
}

/** k = round(x / ln 2) from t = shiftedK(x) (same exponent field: the difference of the bits is k). */
// @ts-ignore: decorator
@inline
function kOf(t: v128): v128 {
  return i32x4.sub(t, i32x4.splat(SHIFT_BITS));
}

/**
 * float64 p 2^k of lanes 0, 1 (`high`: 2, 3) for the float32 mantissas `p`: k is added to the
 * float64 exponent field, exact since k >= -1021 keeps the result normal (p = 0 with k = 0 is 0).
 */
// @ts-ignore: decorator
@inline
function toFloat64(p: v128, k: v128, high: bool): v128 {
  const half = high ? i32x4.shuffle(p, p, 2, 3, 0, 1) : p;
  const k64 = high ? i64x2.extend_high_i32x4_s(k) : i64x2.extend_low_i32x4_s(k);
  return i64x2.add(f64x2.promote_low_f32x4(half), i64x2.shl(k64, 52));
}

/** All ones in the lanes that are `valid` and whose exponent x is at least `xMin` (-scale radius: within the radius). */
// @ts-ignore: decorator
@inline
function insideMask(x: v128, xMin: v128, valid: v128): v128 {
  return v128.and(f32x4.ge(x, xMin), valid);
}

/** All ones in the lanes of group `g` (four words from g) that are below `n`. */
// @ts-ignore: decorator
@inline
function validLanes(g: i32, n: i32): v128 {
  return i32x4.lt_s(i32x4.add(i32x4.splat(g), v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0)), i32x4.splat(n));
}

/** The exponent of the radius: a word is within it when its exponent x = -scale d is at least this (float32, as x is). */
function radiusExponent(scale: f64, radius: f64): v128 {
  return f32x4.splat(radius == Infinity ? -Infinity : <f32>(<f32>-scale * <f32>radius));
}

/**
 * Each block's weight sum into `sums` (f64[ceil(n/BLOCK)]) and its number of words within
 * `radius` into `counts` (i32[...]), for the row of `n` float32 squared distances at `tile`
 * (readable up to a multiple of 4). A block's sum is its two lane sums added. With no
 * radius, every group but the last skips the masks: all ones, they would change nothing.
 */
export function weightSums(tile: usize, n: i32, scale: f64, radius: f64, sums: usize, counts: usize): void {
  const negScale = f32x4.splat(<f32>-scale);
  const xMin = radiusExponent(scale, radius);
  const unmaskedEnd = radius == Infinity ? n & ~3 : 0;
  const nBlocks = (n + BLOCK - 1) / BLOCK;
  for (let b = 0; b < nBlocks; b++) {
    const g0 = b * BLOCK;
    const g1 = min(g0 + BLOCK, n);
    let acc = f64x2.splat(0);
    let cnt = i32x4.splat(0);
    let g = g0;
    for (; g < min(g1, unmaskedEnd); g += 4) {
      const x = exponents4(v128.load(tile + ((<usize>g) << 2)), negScale);
      const t = shiftedK(x);
      const p = mantissaOf(x, t);
      const k = kOf(t);
      acc = f64x2.add(acc, f64x2.add(toFloat64(p, k, false), toFloat64(p, k, true)));
    }
    cnt = i32x4.splat((g - g0) >> 2); // the unmasked groups: every lane inside
    for (; g < g1; g += 4) {
      const x = exponents4(v128.load(tile + ((<usize>g) << 2)), negScale);
      const t = shiftedK(x);
      const inside = insideMask(x, xMin, validLanes(g, n));
      const p = v128.and(mantissaOf(x, t), inside);
      const k = v128.and(kOf(t), inside);
      acc = f64x2.add(acc, f64x2.add(toFloat64(p, k, false), toFloat64(p, k, true)));
      cnt = i32x4.sub(cnt, inside); // a mask lane is -1
    }
    store<f64>(sums + ((<usize>b) << 3), f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1));
    store<i32>(counts + ((<usize>b) << 2), i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) + i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3));
  }
}

/** Block `b`'s weights (f64[BLOCK], 0 past the row's end) into `out`: the lanes weightSums added. */
export function weightBlock(tile: usize, n: i32, b: i32, scale: f64, radius: f64, out: usize): void {
  const negScale = f32x4.splat(<f32>-scale);
  const xMin = radiusExponent(scale, radius);
  const g0 = b * BLOCK;
  let j = 0;
  for (; j < BLOCK && g0 + j < n; j += 4) {
    const g = g0 + j;
    const x = exponents4(v128.load(tile + ((<usize>g) << 2)), negScale);
    const t = shiftedK(x);
    const p = mantissaOf(x, t);
    const inside = insideMask(x, xMin, validLanes(g, n));
    const pm = v128.and(p, inside);
    const k = v128.and(kOf(t), inside);
    v128.store(out + ((<usize>j) << 3), toFloat64(pm, k, false));
    v128.store(out + ((<usize>j) << 3), toFloat64(pm, k, true), 16);
  }
  for (; j < BLOCK; j++) store<f64>(out + ((<usize>j) << 3), 0.0); // past the row: never read from the tile
}
