// Load progress and events, as tagged unions (the shape transformers.js uses).

/** The phases of a load, in order (`index` only for a pack without a neighbour table). */
export type LoadPhase = "download" | "verify" | "index" | "ready";

/** Load progress (throttled): the phase, bytes or rows done of the total, and whether the pack came from the cache. */
export interface LoadProgress {
  phase: LoadPhase;
  /** Bytes (download, verify) or rows (index) done. */
  loaded: number;
  /** Bytes or rows in all; 0 when unknown (no Content-Length). */
  total: number;
  /** True when the pack came from IndexedDB. */
  fromCache: boolean;
}

/** What loadVeil reports besides progress: the cache falling back to memory or dropping a copy, a backend falling back, a worker restarted. */
export type VeilEvent =
  /** IndexedDB refused (quota, private window, no IndexedDB): the pack lives in memory for this session only. */
  | { type: "cache-fallback"; reason: string }
  /** A cached entry was stale or corrupt; it was deleted and the pack downloaded again. */
  | { type: "cache-dropped"; why: "stale" | "corrupt"; detail: string }
  /**
   * A faster backend could not run, so a slower one does: the WebGPU device was
   * lost (Veil continues on WebAssembly), or veil.wasm is missing or would not
   * compile (Veil runs in plain TypeScript, several times slower: serve veil.wasm
   * beside the package's JS or pass `wasmUrl`).
   */
  | { type: "backend-fallback"; from: "webgpu" | "wasm"; to: "wasm" | "js"; reason: string }
  /** The worker died; the next call started a new one. */
  | { type: "worker-restarted"; reason: string };

/**
 * Forwards at most one progress event per `ms`, but always the first of a phase
 * and the last (loaded === total), so a UI never misses a transition.
 */
export function throttleProgress(fn: (p: LoadProgress) => void, ms = 100): (p: LoadProgress) => void {
  let last = -Infinity;
  let phase = "";
  return (p) => {
    const now = performance.now();
    if (p.phase !== phase || p.loaded === p.total || now - last >= ms) {
      phase = p.phase;
      last = now;
      fn(p);
    }
  };
}
