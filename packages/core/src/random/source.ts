import { RandomSourceError } from "../errors.js";

/** Where random bytes come from. Production uses `cryptoSource()`; tests may inject a seeded one. */
export interface RandomSource {
  /** Fills `bytes` completely (at most 65,536 bytes per call). Throws on failure. */
  fill(bytes: Uint8Array): void;
  /** True only for the deterministic testing source. */
  readonly seeded: boolean;
}

/** `crypto.getRandomValues`, looked up at call time (window, worker, Node >= 19). */
export function cryptoSource(): RandomSource {
  return {
    seeded: false,
    fill(bytes: Uint8Array): void {
      const c = (globalThis as { crypto?: Crypto }).crypto;
      if (!c || typeof c.getRandomValues !== "function") throw new RandomSourceError("crypto.getRandomValues is not available");
      try {
        for (let off = 0; off < bytes.length; off += 65536) c.getRandomValues(bytes.subarray(off, Math.min(bytes.length, off + 65536)));
      } catch (e) {
        throw new RandomSourceError("crypto.getRandomValues threw", e);
      }
    },
  };
}
