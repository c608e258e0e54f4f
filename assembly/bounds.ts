// Machine bounds for `pnpm bench:speed`, measured in the same run as the figures
// they bound: how fast this machine can stream the embedding's vectors from
// memory, and how many SIMD multiply-adds it retires per second. Built as its own
// module (packages/bench/dist/bounds.wasm) so Veil's runtime module carries none of it.

export function alloc(size: usize): usize {
  return heap.alloc(size);
}

/** Sums `bytes` (a multiple of 64) of f32 from `ptr` with four SIMD accumulators: one streaming read. */
export function streamSum(ptr: usize, bytes: usize): f32 {
  let a0 = f32x4.splat(0),
    a1 = f32x4.splat(0),
    a2 = f32x4.splat(0),
    a3 = f32x4.splat(0);
  const end = ptr + bytes;
  for (let p = ptr; p < end; p += 64) {
    a0 = f32x4.add(a0, v128.load(p));
    a1 = f32x4.add(a1, v128.load(p, 16));
    a2 = f32x4.add(a2, v128.load(p, 32));
    a3 = f32x4.add(a3, v128.load(p, 48));
  }
  const s = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/**
 * `iters` rounds of a = a * m + c on twelve independent f32x4 chains: the inner
 * operation of the distance kernel (WASM SIMD has no fused multiply-add, so each
 * lane does a multiply and an add: 2 flops). Twelve chains cover the latency of
 * a multiply followed by an add on two pipes of each. Returns the sum so the work is kept.
 */
export function mulAdd(iters: i32, m: f32, c: f32): f32 {
  const vm = f32x4.splat(m),
    vc = f32x4.splat(c);
  let a0 = f32x4.splat(1.0),
    a1 = f32x4.splat(1.1),
    a2 = f32x4.splat(1.2),
    a3 = f32x4.splat(1.3),
    a4 = f32x4.splat(1.4),
    a5 = f32x4.splat(1.5),
    a6 = f32x4.splat(1.6),
    a7 = f32x4.splat(1.7),
    a8 = f32x4.splat(1.8),
    a9 = f32x4.splat(1.9),
    a10 = f32x4.splat(2.0),
    a11 = f32x4.splat(2.1);
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.add(f32x4.mul(a0, vm), vc);
    a1 = f32x4.add(f32x4.mul(a1, vm), vc);
    a2 = f32x4.add(f32x4.mul(a2, vm), vc);
    a3 = f32x4.add(f32x4.mul(a3, vm), vc);
    a4 = f32x4.add(f32x4.mul(a4, vm), vc);
    a5 = f32x4.add(f32x4.mul(a5, vm), vc);
    a6 = f32x4.add(f32x4.mul(a6, vm), vc);
    a7 = f32x4.add(f32x4.mul(a7, vm), vc);
    a8 = f32x4.add(f32x4.mul(a8, vm), vc);
    a9 = f32x4.add(f32x4.mul(a9, vm), vc);
    a10 = f32x4.add(f32x4.mul(a10, vm), vc);
    a11 = f32x4.add(f32x4.mul(a11, vm), vc);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
  );
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
