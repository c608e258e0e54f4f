// @veil/core/testing: deterministic randomness for tests and reproducible
// benchmarks ONLY. Never use this to protect real data: a seeded stream is
// predictable, and every result produced with it is marked `seeded: true`.
import { INTERNAL, type Veil } from "./veil.js";
import { seededSource } from "./random/seeded.js";
import type { Backend } from "./backends/backend.js";

export { seededSource };
export { UniformStream } from "./random/uniform-stream.js";
export * as samplers from "./random/samplers.js";
export { compileVeilWasm, instantiateVeilWasm, type VeilWasmExports } from "./backends/wasm-module.js";
export { winnerProbabilities, poissonCdf } from "./mechanisms/truncated-gumbel.js";
export { lambertW0 } from "./math/lambert-w.js";
export { nthOutside } from "./mechanisms/tem.js";
export { everyWordKind, WORD_KINDS_VOCABULARY, EVERY_REASON } from "./testing-word-kinds.js";

/** Switches a Veil to the seeded stream `seed`. */
export function useSeededRandom(veil: Veil, seed: number): void {
  veil[INTERNAL]().setRandomSource(seededSource(seed));
}

/**
 * Destroys the WebGPU device under a Veil, as a driver reset would, and
 * resolves with the loss message once the backend has seen it (tests of the
 * fallback to WebAssembly). Throws if the Veil does not run on WebGPU.
 */
export async function loseWebGpuDevice(veil: Veil): Promise<string> {
  const b = backendOf(veil) as unknown as { name: string; device?: { destroy(): void; lost: Promise<{ message: string }> } };
  if (b.name !== "webgpu" || !b.device) throw new Error("this Veil does not run on WebGPU");
  b.device.destroy();
  // The backend subscribed to device.lost when it started, so its handler has run when this one does.
  return (await b.device.lost).message;
}

/** The backend a Veil runs on (for tests that compare backends). */
export function backendOf(veil: Veil): Backend {
  return veil[INTERNAL]().backend;
}
export { memoryLedgerStorage, type MemoryLedgerStorage } from "./ledger/memory-storage.js";
