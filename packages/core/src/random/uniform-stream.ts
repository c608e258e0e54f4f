import type { RandomSource } from "./source.js";

const POOL_BYTES = 65536;
const TWO_M52 = 2.220446049250313e-16;

/**
 * The TypeScript twin of assembly/random.ts: uniforms in (0, 1) from a 64 KiB
 * pool of random bytes, 8 bytes per uniform (top 52 bits of a little-endian u64),
 * `U = (m + 0.5) / 2^52`, so U is never 0 or 1.
 */
export class UniformStream {
  private readonly pool = new Uint8Array(POOL_BYTES);
  private readonly view = new DataView(this.pool.buffer);
  private pos = POOL_BYTES;
  constructor(public source: RandomSource) {}

  reset(): void {
    this.pos = POOL_BYTES;
  }

  next(): number {
    if (this.pos + 8 > POOL_BYTES) this.refill();
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    // top 52 bits of (hi:lo) = hi * 2^20 + (lo >>> 12)
    return (hi * 1048576 + (lo >>> 12) + 0.5) * TWO_M52;
  }

  /** The pool filled afresh from the source, read from its start. */
  private refill(): void {
    this.source.fill(this.pool);
    this.pos = 0;
  }

  /** Skips `count` uniforms' bytes, refilling exactly where `count` calls to next() would. */
  skip(count: number): void {
    let left = count;
    while (left > 0) {
      if (this.pos + 8 > POOL_BYTES) this.refill();
      const take = Math.min(left, (POOL_BYTES - this.pos) >> 3);
      this.pos += take << 3;
      left -= take;
    }
  }
}
