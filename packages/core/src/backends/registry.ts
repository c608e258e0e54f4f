// Backend selection in the shape of onnxruntime-web's registry: backends in
// priority order, each initialised once per request, every failure remembered,
// and one error listing every reason if none starts.
import type { Embedding } from "../embeddings/embedding.js";
import { BackendUnavailableError, InvalidOptionError } from "../errors.js";
import type { RandomSource } from "../random/source.js";
import type { Backend, BackendName } from "./backend.js";
import { JsBackend } from "./js.js";
import { createWasmBackend } from "./wasm.js";

export type BackendPreference = "auto" | BackendName;

interface Registration {
  name: BackendName;
  priority: number;
  why: string;
  init(e: Embedding, o: { random?: RandomSource; wasm?: URL | string | BufferSource }): Promise<Backend>;
}

const registry: Registration[] = [
  { name: "wasm", priority: 20, why: "WebAssembly SIMD kernels", init: (e, o) => createWasmBackend(e, o) },
  { name: "js", priority: 0, why: "plain TypeScript fallback", init: async (e, o) => new JsBackend(e, o.random) },
];

export interface BackendChoice {
  backend: Backend;
  /** Why this backend was chosen (and what failed before it). */
  reason: string;
  failures: Record<string, string>;
}

export async function selectBackend(
  e: Embedding,
  preference: BackendPreference = "auto",
  o: { random?: RandomSource; wasm?: URL | string | BufferSource } = {},
): Promise<BackendChoice> {
  if (preference !== "auto" && !registry.some((r) => r.name === preference))
    throw new InvalidOptionError(`backend must be "auto", "wasm" or "js", got ${JSON.stringify(String(preference))}.`);
  const order = [...registry].sort((a, b) => b.priority - a.priority).filter((r) => preference === "auto" || r.name === preference);
  const failures: Record<string, string> = {};
  for (const r of order) {
    try {
      const backend = await r.init(e, o);
      const failed = Object.entries(failures).map(([k, v]) => `${k} failed: ${v}`);
      const reason = preference === "auto" ? [`${r.name}: ${r.why}`, ...failed].join("; ") : `${r.name}: requested`;
      return { backend, reason, failures };
    } catch (err) {
      failures[r.name] = err instanceof Error ? err.message : String(err);
    }
  }
  throw new BackendUnavailableError(failures);
}
