// Backend selection in the shape of onnxruntime-web's registry: backends in
// priority order, each initialised once per request, every failure remembered,
// and one error listing every reason if none starts.
import type { Embedding } from "../embeddings/embedding.js";
import { BackendUnavailableError, InvalidOptionError } from "../errors.js";
import type { RandomSource } from "../random/source.js";
import type { Backend, BackendName } from "./backend.js";
import { checkBackendPreference, type BackendPreference } from "./preference.js";
import { JsBackend } from "./js.js";
import { createWasmBackend } from "./wasm.js";
import { createWebGpuBackend } from "./webgpu/backend.js";
import type { WebGpuBackendOptions } from "./webgpu/options.js";

export { checkBackendPreference, type BackendPreference } from "./preference.js";

/** Options every backend may use: the random source, where veil.wasm is, WebGPU settings. */
export interface BackendOptions {
  random?: RandomSource;
  /** Where veil.wasm is (URL or bytes). */
  wasm?: URL | string | BufferSource;
  /** WebGPU options: the GPU object (Node), a binding-size cap, a device-loss callback. */
  webgpu?: Pick<WebGpuBackendOptions, "gpu" | "maxBindingBytes" | "onLost">;
}

interface Registration {
  name: BackendName;
  priority: number;
  why: string;
  init(e: Embedding, o: BackendOptions, requested: boolean): Promise<Backend>;
}

const registry: Registration[] = [
  {
    name: "webgpu",
    priority: 30,
    why: "WebGPU distance and top-K kernels on a hardware adapter",
    // Under "auto" a fallback (software) adapter is refused: WebAssembly SIMD is
    // 50-100x faster than SwiftShader. Asking for "webgpu" by name accepts it.
    init: (e, o, requested) =>
      createWebGpuBackend(e, {
        ...o.webgpu,
        ...(o.random && { random: o.random }),
        ...(o.wasm !== undefined && { wasm: o.wasm }),
        allowFallbackAdapter: requested,
      }),
  },
  { name: "wasm", priority: 20, why: "WebAssembly SIMD kernels", init: (e, o) => createWasmBackend(e, o) },
  { name: "js", priority: 0, why: "plain TypeScript fallback", init: async (e, o) => new JsBackend(e, o.random) },
];

/** The backend that started, why it was chosen, and why each better one failed. */
export interface BackendChoice {
  backend: Backend;
  /** Why this backend was chosen (and what failed before it). */
  reason: string;
  failures: Record<string, string>;
}

/**
 * Starts the first backend that works for `preference` (onnxruntime-web's
 * registry shape): "auto" tries WebGPU, WebAssembly, JS in that order. Throws
 * `BackendUnavailableError` listing every reason when none starts.
 */
export async function selectBackend(e: Embedding, preference: BackendPreference = "auto", o: BackendOptions = {}): Promise<BackendChoice> {
  checkBackendPreference(preference);
  const order = [...registry].sort((a, b) => b.priority - a.priority).filter((r) => preference === "auto" || r.name === preference);
  const failures: Record<string, string> = {};
  for (const r of order) {
    try {
      const backend = await r.init(e, o, preference === r.name);
      const failed = Object.entries(failures).map(([k, v]) => `${k} failed: ${v}`);
      const reason = preference === "auto" ? [`${r.name}: ${r.why}`, ...failed].join("; ") : `${r.name}: requested`;
      return { backend, reason, failures };
    } catch (err) {
      failures[r.name] = err instanceof Error ? err.message : String(err);
    }
  }
  throw new BackendUnavailableError(failures);
}
