// Exact top-K selection over rows of squared distances, one bounded max-heap per
// query keyed by (distance, id). A SIMD compare against the heap's root skips
// the vast majority of columns after the heap has filled: only values below the
// current K-th smallest are ever inserted.

const NO_ID: i32 = 0x7fffffff;

/** Sets every heap to (+Inf, NO_ID) and every row maximum to -Inf. */
export function topkInit(heapD: usize, heapI: usize, nq: i32, kk: i32, rowMax: usize, rowArg: usize): void {
  for (let i = 0; i < nq * kk; i++) {
    store<f32>(heapD + (<usize>i << 2), Infinity);
    store<i32>(heapI + (<usize>i << 2), NO_ID);
  }
  for (let q = 0; q < nq; q++) {
    store<f32>(rowMax + (<usize>q << 2), -Infinity);
    store<i32>(rowArg + (<usize>q << 2), -1);
  }
}

// @ts-ignore: decorator
@inline
function greater(da: f32, ia: i32, db: f32, ib: i32): bool {
  return da > db || (da == db && ia > ib);
}

/** Replaces the root of a max-heap of size kk with (dv, id) and sifts it down. */
function heapReplaceRoot(hd: usize, hi: usize, kk: i32, dv: f32, id: i32): void {
  let i = 0;
  while (true) {
    const l = 2 * i + 1;
    if (l >= kk) break;
    let c = l;
    const r = l + 1;
    const dl = load<f32>(hd + (<usize>l << 2));
    const il = load<i32>(hi + (<usize>l << 2));
    let dc = dl;
    let ic = il;
    if (r < kk) {
      const dr = load<f32>(hd + (<usize>r << 2));
      const ir = load<i32>(hi + (<usize>r << 2));
      if (greater(dr, ir, dl, il)) {
        c = r;
        dc = dr;
        ic = ir;
      }
    }
    if (!greater(dc, ic, dv, id)) break;
    store<f32>(hd + (<usize>i << 2), dc);
    store<i32>(hi + (<usize>i << 2), ic);
    i = c;
  }
  store<f32>(hd + (<usize>i << 2), dv);
  store<i32>(hi + (<usize>i << 2), id);
}

/**
 * Feeds columns [0, width) of `nq` tile rows (row q at tile + q*stride floats;
 * column j is vocabulary id colBase + j) into the queries' heaps. `selfBase` >= 0
 * means query q is vocabulary word selfBase + q and must not select itself.
 * With `trackMax` it also tracks each row's largest value and its id (for d_max
 * while building the neighbour table; a nearest-word search has no use for it).
 */
export function topkFeed(
  tile: usize,
  stride: i32,
  nq: i32,
  width: i32,
  colBase: i32,
  selfBase: i32,
  heapD: usize,
  heapI: usize,
  kk: i32,
  rowMax: usize,
  rowArg: usize,
  trackMax: bool,
): void {
  for (let q = 0; q < nq; q++) {
    const row = tile + ((<usize>q * <usize>stride) << 2);
    const hd = heapD + ((<usize>q * <usize>kk) << 2);
    const hi = heapI + ((<usize>q * <usize>kk) << 2);
    const self = selfBase >= 0 ? selfBase + q : -1;
    let thr = load<f32>(hd);
    let thrV = f32x4.splat(thr);
    let mx = f32x4.splat(-Infinity);
    let j = 0;
    for (; j + 4 <= width; j += 4) {
      const v = v128.load(row + (<usize>j << 2));
      // pmax is one native instruction; max's NaN and signed-zero rules cost several on x86, and no
      // distance here is NaN (a zero's sign cannot change which value is largest).
      if (trackMax) mx = f32x4.pmax(mx, v);
      if (v128.any_true(f32x4.lt(v, thrV))) {
        for (let l = 0; l < 4; l++) {
          const dv = load<f32>(row + (<usize>(j + l) << 2));
          const id = colBase + j + l;
          if (dv < thr && id != self) {
            heapReplaceRoot(hd, hi, kk, dv, id);
            thr = load<f32>(hd);
          }
        }
        thrV = f32x4.splat(thr);
      }
    }
    let m = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
    for (; j < width; j++) {
      const dv = load<f32>(row + (<usize>j << 2));
      const id = colBase + j;
      if (dv > m) m = dv;
      if (dv < thr && id != self) {
        heapReplaceRoot(hd, hi, kk, dv, id);
        thr = load<f32>(hd);
      }
    }
    if (!trackMax) continue; // (m is -Infinity or the tail's largest: not the row's)
    // Rare after the first chunks: find where the new row maximum is.
    const rm = rowMax + (<usize>q << 2);
    if (m > load<f32>(rm)) {
      store<f32>(rm, m);
      for (let t = 0; t < width; t++) {
        if (load<f32>(row + (<usize>t << 2)) == m) {
          store<i32>(rowArg + (<usize>q << 2), colBase + t);
          break;
        }
      }
    }
  }
}
