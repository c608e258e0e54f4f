// Measurements of the speed benchmark: the machine's bounds (streaming read of
// the vectors, SIMD multiply-add rate, random-byte rate) and time-boxed rates of
// Veil's own work, each from one run on a noisy machine.
import { readFile } from "node:fs/promises";

export interface MachineBounds {
  /** Streaming read of the embedding's vectors (n * d float32), GB/s, best of 5. */
  streamGBs: number;
  /** Bytes streamed per pass. */
  streamBytes: number;
  /** WASM SIMD f32 multiply-add rate on one core, GFLOP/s (2 flops per lane), best of 5. */
  mulAddGflops: number;
  /** crypto.getRandomValues in 64 KiB calls, GB/s, best of 5. */
  randomGBs: number;
}

/** assembly/bounds.ts's exports. */
export interface BoundsExports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  streamSum(ptr: number, bytes: number): number;
  mulAdd(iters: number, m: number, c: number): number;
}

const best = (runs: number, f: () => number): number => Math.max(...Array.from({ length: runs }, f));

/** bounds.wasm (assembly/bounds.ts, built beside this file), instantiated. */
export async function loadBounds(): Promise<BoundsExports> {
  const { instance } = await WebAssembly.instantiate(await readFile(new URL("./bounds.wasm", import.meta.url)), { env: { abort: () => {} } });
  return instance.exports as unknown as BoundsExports;
}

/** Measures the bounds; `vectors` are the pack's vectors (a pass over them is M1's and M2's unit of work). */
export async function measureBounds(vectors: Float32Array, quick = false): Promise<MachineBounds> {
  const wasm = await loadBounds();
  const bytes = Math.floor(vectors.byteLength / 64) * 64;
  const ptr = wasm.alloc(bytes + 64);
  const base = Math.ceil(ptr / 64) * 64;
  new Uint8Array(wasm.memory.buffer, base, bytes).set(new Uint8Array(vectors.buffer, vectors.byteOffset, bytes));
  const passes = quick ? 2 : 10;
  wasm.streamSum(base, bytes); // fault the pages in
  const streamGBs = best(5, () => {
    const t = performance.now();
    for (let i = 0; i < passes; i++) wasm.streamSum(base, bytes);
    return (passes * bytes) / ((performance.now() - t) / 1000) / 1e9;
  });
  return { streamGBs, streamBytes: bytes, ...meterOn(wasm, quick)() };
}

/** The first write to fresh memory: what the operating system charges per page it maps in. */
export interface FirstWriteRate {
  /** Milliseconds per MiB of memory written for the first time, best of 3 runs of 64 MiB. */
  msPerMiB: number;
  /** Bytes each page fault mapped in (4096 where pages are 4 KB; more with huge pages). */
  bytesPerFault: number;
}

/** Minor page faults of this process so far (process.resourceUsage). */
export const pageFaults = (): number => process.resourceUsage().minorPageFault;

/**
 * Writes 64 MiB of newly allocated memory, three times: a load that makes its arrays pays this for
 * every MiB it writes first, whatever the code does, so the pack load rows are read against it.
 */
export function measureFirstWrite(): FirstWriteRate {
  const MIB = 64;
  const runs = Array.from({ length: 3 }, () => {
    const f0 = pageFaults();
    const t = performance.now();
    new Uint8Array(MIB * 2 ** 20).fill(1);
    return { ms: performance.now() - t, faults: pageFaults() - f0 };
  });
  const fastest = runs.reduce((a, r) => (r.ms < a.ms ? r : a));
  return { msPerMiB: fastest.ms / MIB, bytesPerFault: (MIB * 2 ** 20) / Math.max(1, fastest.faults) };
}

/** One timed run of each bound: about 45 ms of multiply-add and 35 ms of random bytes here. */
const MULADD_ITERS = 20_000_000;
const RANDOM_CALLS = 2000;

/** GFLOP/s of one run of assembly/bounds.ts mulAdd: 12 independent f32x4 chains, 2 flops per lane. */
function mulAddRate(wasm: BoundsExports, iters: number): number {
  const t = performance.now();
  wasm.mulAdd(iters, 0.9999, 1e-4);
  return (iters * 12 * 4 * 2) / ((performance.now() - t) / 1000) / 1e9;
}

/** GB/s of `calls` crypto.getRandomValues calls filling `pool`. */
function randomRate(pool: Uint8Array, calls: number): number {
  const t = performance.now();
  for (let i = 0; i < calls; i++) crypto.getRandomValues(pool);
  return (calls * pool.length) / ((performance.now() - t) / 1000) / 1e9;
}

/** The two compute bounds as measured at one moment: multiply-add GFLOP/s and random-byte GB/s. */
export type ComputeBounds = Pick<MachineBounds, "mulAddGflops" | "randomGBs">;

/**
 * The compute bounds measured again, for taking beside a row: this machine's
 * speed drifts while a run goes on (by a third within a minute), so a row is held
 * against the machine as it was while the row ran, not at the run's start. Each
 * call is what `measureBounds` does for these two (best of 5 runs of the same
 * length, about 0.4 s in all; `quick` as there).
 */
export async function computeBoundsMeter(quick = false): Promise<() => ComputeBounds> {
  return meterOn(await loadBounds(), quick);
}

/** The two compute bounds' measurement on a loaded bounds.wasm: best of 5 runs of each (a tenth as long when `quick`). */
function meterOn(wasm: BoundsExports, quick: boolean): () => ComputeBounds {
  const pool = new Uint8Array(65536);
  wasm.mulAdd(1000, 0.9999, 1e-4);
  const [iters, calls] = quick ? [MULADD_ITERS / 10, RANDOM_CALLS / 10] : [MULADD_ITERS, RANDOM_CALLS];
  return () => ({ mulAddGflops: best(5, () => mulAddRate(wasm, iters)), randomGBs: best(5, () => randomRate(pool, calls)) });
}

export interface Rate {
  /** Units (tokens, rows) in the timed run. */
  units: number;
  seconds: number;
  perSecond: number;
}

/**
 * Times `run(size)` on sizes doubling from `start` until one run takes at least
 * `minSeconds` (or `maxSize` is reached), after one warm-up call; the rate is the
 * last run's. `run` returns the units it processed.
 */
export function timeBoxed(run: (size: number) => number, start: number, minSeconds: number, maxSize = Infinity): Rate {
  return timeBoxedOn((size) => size, run, start, minSeconds, maxSize);
}

/** As `timeBoxed`, with each size's input made by `prepare` outside the timed call (building a text is not what is measured). */
export function timeBoxedOn<T>(prepare: (size: number) => T, run: (input: T) => number, start: number, minSeconds: number, maxSize = Infinity): Rate {
  run(prepare(Math.min(start, maxSize))); // warm-up: JIT, caches, lazily built tables
  let size = start;
  for (;;) {
    const input = prepare(size);
    const t = performance.now();
    const units = run(input);
    const seconds = (performance.now() - t) / 1000;
    if (seconds >= minSeconds || size >= maxSize) return { units, seconds, perSecond: units / seconds };
    size = Math.min(maxSize, size * Math.max(2, Math.ceil(minSeconds / Math.max(seconds, 1e-3) / 1.5)));
  }
}
