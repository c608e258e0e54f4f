// The uniform stream every sampler reads (docs/mechanisms.md, "Randomness").
//
// Random bytes live in a pool inside this module's memory. When it runs dry the
// host fills it in place through `env.fillRandom`: in production that is
// `crypto.getRandomValues` (in chunks of at most 65,536 bytes); in tests it is the
// seeded stream from `@veil/core/testing`. Every uniform consumes exactly 8 bytes
// (a little-endian u64 whose top 52 bits are used), so the TypeScript reference,
// reading the same byte stream 8 bytes at a time, sees the same uniforms.

@external("env", "fillRandom")
declare function fillRandom(ptr: usize, len: i32): void;

export const POOL_BYTES: i32 = 65536;
let pool: usize = 0;
let pos: i32 = POOL_BYTES;

/** Drops buffered bytes, so the next uniform comes from a fresh fill. */
export function resetRandomPool(): void {
  pos = POOL_BYTES;
}

/** The pool filled afresh from the host (allocated on first use), read from its start. */
function refill(): void {
  if (pool == 0) pool = heap.alloc(<usize>POOL_BYTES);
  fillRandom(pool, POOL_BYTES);
  pos = 0;
}

/** Uniform double in (0, 1): `(m + 0.5) / 2^52` with 52 random bits `m`, never 0 or 1. */
// @ts-ignore: decorator
@inline
export function uniform(): f64 {
  if (pos + 8 > POOL_BYTES) refill();
  const x = load<u64>(pool + <usize>pos);
  pos += 8;
  return uniformOf(x);
}

/** The uniform of one 8-byte draw (its top 52 bits). */
// @ts-ignore: decorator
@inline
export function uniformOf(x: u64): f64 {
  return (<f64>(x >> 12) + 0.5) * 2.220446049250313e-16; // 2^-52
}

/**
 * The next `count` draws' bytes at once (8 each, read with `uniformAt`): where they
 * lie in the pool, in place; across a refill, gathered into `spill` (count * 8
 * bytes). Either way the pool moves past them and the uniforms are those `count`
 * calls to uniform() would give, so a loop that knows how many it needs checks
 * the pool once instead of once a draw.
 */
export function takeDraws(count: i32, spill: usize): usize {
  const bytes = count << 3;
  if (pos + bytes <= POOL_BYTES) {
    const at = pool + <usize>pos;
    pos += bytes;
    return at;
  }
  for (let t = 0; t < count; t++) {
    if (pos + 8 > POOL_BYTES) refill();
    store<u64>(spill + ((<usize>t) << 3), load<u64>(pool + <usize>pos));
    pos += 8;
  }
  return spill;
}

/** Uniform `t` of draws taken with `takeDraws`. */
// @ts-ignore: decorator
@inline
export function uniformAt(draws: usize, t: i32): f64 {
  return uniformOf(load<u64>(draws + ((<usize>t) << 3)));
}

/** Writes `count` uniforms (f64) to `out`. */
export function drawUniforms(out: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<f64>(out + (<usize>i << 3), uniform());
}
