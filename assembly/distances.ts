// The distance kernel: squared Euclidean distances of a block of query vectors
// against the whole vocabulary, as a matrix product (|q|^2 + |v|^2 - 2 q.v), in
// float32 SIMD. Exactness is restored downstream: every result that decides an
// output is re-ranked in float64 (see packages/core/src/backends/wasm.ts).
//
// Layout: the vocabulary is repacked once into panels of 8 rows stored
// dimension-major ([panel][dim][8 lanes]), so a panel's 8 rows at one dimension
// are two f32x4 loads; a query's coordinate is a load-and-splat. The 4x8 micro
// kernel keeps 8 accumulators in registers and needs no horizontal sums.

export const PANEL: i32 = 8;

/** Repacks row-major vectors (f32[n*d]) into panels; pads the last panel with zero rows. */
export function packPanels(vecs: usize, n: i32, d: i32, panels: usize, norms: usize): void {
  const nPanels = (n + PANEL - 1) / PANEL;
  for (let p = 0; p < nPanels; p++) {
    for (let lane = 0; lane < PANEL; lane++) {
      const row = p * PANEL + lane;
      let norm: f64 = 0;
      for (let k = 0; k < d; k++) {
        const x: f32 = row < n ? load<f32>(vecs + ((<usize>row * <usize>d + <usize>k) << 2)) : 0;
        store<f32>(panels + ((<usize>p * <usize>d * PANEL + <usize>k * PANEL + <usize>lane) << 2), x);
        norm += <f64>x * <f64>x;
      }
      // Padding rows get an infinite norm, so their distance is +Inf and they never win.
      store<f32>(norms + ((<usize>row) << 2), row < n ? <f32>norm : Infinity);
    }
  }
}

/** Squared norms (f32, accumulated in f64) of `count` row-major vectors. */
export function rowNorms(vecs: usize, count: i32, d: i32, out: usize): void {
  for (let i = 0; i < count; i++) {
    let s: f64 = 0;
    for (let k = 0; k < d; k++) {
      const x = <f64>load<f32>(vecs + ((<usize>i * <usize>d + <usize>k) << 2));
      s += x * x;
    }
    store<f32>(out + ((<usize>i) << 2), <f32>s);
  }
}

/**
 * Squared distances of `nq` queries (row-major f32, nq a multiple of 4, norms in
 * `qNorms`) against panels [p0, p1), written to `out` (row q at out + q*stride
 * floats, column (p - p0) * 8 + lane). Values can be slightly negative for
 * near-identical vectors (float32 cancellation); callers clamp.
 */
export function distTile(q: usize, qNorms: usize, nq: i32, d: i32, panels: usize, vNorms: usize, p0: i32, p1: i32, out: usize, stride: i32): void {
  const rowBytes = (<usize>d) << 2;
  const panelBytes = <usize>d * PANEL * 4;
  const two = f32x4.splat(2.0);
  for (let p = p0; p < p1; p++) {
    const pan = panels + <usize>p * panelBytes;
    const vn0 = v128.load(vNorms + ((<usize>p) << 5));
    const vn1 = v128.load(vNorms + ((<usize>p) << 5) + 16);
    const col = (<usize>(p - p0)) << 5; // bytes: 8 floats
    for (let qi = 0; qi < nq; qi += 4) {
      const q0 = q + <usize>qi * rowBytes;
      const q1 = q0 + rowBytes;
      const q2 = q1 + rowBytes;
      const q3 = q2 + rowBytes;
      let a00 = f32x4.splat(0),
        a01 = f32x4.splat(0);
      let a10 = f32x4.splat(0),
        a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0),
        a21 = f32x4.splat(0);
      let a30 = f32x4.splat(0),
        a31 = f32x4.splat(0);
      let vp = pan;
      for (let k: usize = 0; k < rowBytes; k += 4) {
        const v0 = v128.load(vp);
        const v1 = v128.load(vp, 16);
        vp += 32;
        const s0 = v128.load32_splat(q0 + k);
        a00 = f32x4.add(a00, f32x4.mul(s0, v0));
        a01 = f32x4.add(a01, f32x4.mul(s0, v1));
        const s1 = v128.load32_splat(q1 + k);
        a10 = f32x4.add(a10, f32x4.mul(s1, v0));
        a11 = f32x4.add(a11, f32x4.mul(s1, v1));
        const s2 = v128.load32_splat(q2 + k);
        a20 = f32x4.add(a20, f32x4.mul(s2, v0));
        a21 = f32x4.add(a21, f32x4.mul(s2, v1));
        const s3 = v128.load32_splat(q3 + k);
        a30 = f32x4.add(a30, f32x4.mul(s3, v0));
        a31 = f32x4.add(a31, f32x4.mul(s3, v1));
      }
      const o0 = out + ((<usize>qi * <usize>stride) << 2) + col;
      const ob = (<usize>stride) << 2;
      const n0 = v128.load32_splat(qNorms + ((<usize>qi) << 2));
      const n1 = v128.load32_splat(qNorms + ((<usize>(qi + 1)) << 2));
      const n2 = v128.load32_splat(qNorms + ((<usize>(qi + 2)) << 2));
      const n3 = v128.load32_splat(qNorms + ((<usize>(qi + 3)) << 2));
      v128.store(o0, f32x4.sub(f32x4.add(n0, vn0), f32x4.mul(two, a00)));
      v128.store(o0, f32x4.sub(f32x4.add(n0, vn1), f32x4.mul(two, a01)), 16);
      v128.store(o0 + ob, f32x4.sub(f32x4.add(n1, vn0), f32x4.mul(two, a10)));
      v128.store(o0 + ob, f32x4.sub(f32x4.add(n1, vn1), f32x4.mul(two, a11)), 16);
      v128.store(o0 + 2 * ob, f32x4.sub(f32x4.add(n2, vn0), f32x4.mul(two, a20)));
      v128.store(o0 + 2 * ob, f32x4.sub(f32x4.add(n2, vn1), f32x4.mul(two, a21)), 16);
      v128.store(o0 + 3 * ob, f32x4.sub(f32x4.add(n3, vn0), f32x4.mul(two, a30)));
      v128.store(o0 + 3 * ob, f32x4.sub(f32x4.add(n3, vn1), f32x4.mul(two, a31)), 16);
    }
  }
}

/**
 * An int8 pack's vectors as the float32 values they mean, in place: the n*d int8 values sit in the
 * last quarter of `out` (f32[n*d]) and are scaled forwards, value i to out[i] = f32(q[i]) * scales[i % d].
 * Forwards is safe: value i's four bytes end at 4i + 3, below where value i + 1 is read (3nd + i + 1).
 * One rounding of an exact product (an 8-bit integer times a float32), as vector-codec.ts int8Values'
 * Math.fround(q * scale): the same float32 bits.
 */
export function int8ToF32InPlace(out: usize, scales: usize, n: i32, d: i32): void {
  const count = <usize>n * <usize>d;
  const src = out + 3 * count;
  let i: usize = 0;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      store<f32>(out + (i << 2), <f32>load<i8>(src + i) * load<f32>(scales + ((<usize>j) << 2)));
      i++;
    }
  }
}

/** Exact float64 Euclidean distance between two stored float32 vectors. */
export function dist64(x: usize, y: usize, d: i32): f64 {
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let k = 0;
  for (; k + 4 <= d; k += 4) {
    const a = v128.load(x + ((<usize>k) << 2));
    const b = v128.load(y + ((<usize>k) << 2));
    const dl = f64x2.sub(f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(b));
    const ah = i32x4.shuffle(a, a, 2, 3, 0, 1);
    const bh = i32x4.shuffle(b, b, 2, 3, 0, 1);
    const dh = f64x2.sub(f64x2.promote_low_f32x4(ah), f64x2.promote_low_f32x4(bh));
    acc0 = f64x2.add(acc0, f64x2.mul(dl, dl));
    acc1 = f64x2.add(acc1, f64x2.mul(dh, dh));
  }
  const acc = f64x2.add(acc0, acc1);
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; k < d; k++) {
    const t = <f64>load<f32>(x + ((<usize>k) << 2)) - <f64>load<f32>(y + ((<usize>k) << 2));
    s += t * t;
  }
  return Math.sqrt(s);
}

/**
 * Float32 squared distances (clamped at 0) to float64 distances, into `out`: four
 * at a time with SIMD (promote to f64x2, then sqrt), the same values as the
 * scalar `v > 0 ? sqrt(v) : 0` (pmax against +0 maps -0 and NaN to +0 too).
 */
export function sqrtRow(inp: usize, n: i32, out: usize): void {
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const v = f32x4.pmax(v128.load(inp + ((<usize>j) << 2)), zero);
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 0, 1));
    v128.store(out + ((<usize>j) << 3), f64x2.sqrt(lo));
    v128.store(out + ((<usize>j) << 3), f64x2.sqrt(hi), 16);
  }
  for (; j < n; j++) {
    const v = <f64>load<f32>(inp + ((<usize>j) << 2));
    store<f64>(out + ((<usize>j) << 3), v > 0 ? Math.sqrt(v) : 0.0);
  }
}
