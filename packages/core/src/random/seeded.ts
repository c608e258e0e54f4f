import type { RandomSource } from "./source.js";

/**
 * A deterministic byte stream (xoshiro128**, seeded through splitmix32) for tests
 * and reproducible benchmarks ONLY. It is exported from `@veil/core/testing`, never
 * from the main entry, and results produced with it are marked `seeded`.
 * The stream is position-exact: filling 3 + 5 bytes gives the same bytes as 8.
 */
export function seededSource(seed: number): RandomSource {
  let x = seed >>> 0;
  const next32 = (): number => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = next32(),
    s1 = next32(),
    s2 = next32(),
    s3 = next32();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  let word = 0;
  let left = 0; // bytes of `word` not yet handed out
  const step = (): number => {
    const r = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return r;
  };
  return {
    seeded: true,
    fill(bytes: Uint8Array): void {
      let i = 0;
      while (i < bytes.length && left > 0) {
        bytes[i++] = word & 0xff;
        word >>>= 8;
        left--;
      }
      // Whole words, little-endian.
      const end4 = i + ((bytes.length - i) & ~3);
      for (; i < end4; i += 4) {
        const r = step();
        bytes[i] = r & 0xff;
        bytes[i + 1] = (r >>> 8) & 0xff;
        bytes[i + 2] = (r >>> 16) & 0xff;
        bytes[i + 3] = r >>> 24;
      }
      if (i < bytes.length) {
        word = step();
        left = 4;
        while (i < bytes.length) {
          bytes[i++] = word & 0xff;
          word >>>= 8;
          left--;
        }
      }
    },
  };
}

function rotl(v: number, k: number): number {
  return ((v << k) | (v >>> (32 - k))) >>> 0;
}
