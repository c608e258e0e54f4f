// The backend names and reports, apart from the backends themselves: a page
// that only checks a preference or rewrites a report (@veil/web's loadVeil)
// imports this small module, not WebGPU, WebAssembly and the mechanisms.
import { InvalidOptionError } from "../errors.js";

/** The backends, fastest first; "auto" tries them in that order. */
export const BACKEND_NAMES = ["webgpu", "wasm", "js"] as const;

/** "auto" or one backend by name. */
export type BackendPreference = "auto" | (typeof BACKEND_NAMES)[number];

/** Throws InvalidOptionError unless `preference` is "auto" or a backend's name. */
export function checkBackendPreference(preference: unknown): BackendPreference {
  if (preference !== "auto" && !(BACKEND_NAMES as readonly unknown[]).includes(preference))
    throw new InvalidOptionError(`backend must be "auto", "webgpu", "wasm" or "js", got ${JSON.stringify(String(preference))}.`);
  return preference as BackendPreference;
}

/** The compute backend a Veil runs on, and why. */
export interface BackendReport {
  name: string;
  reason: string;
  /** Backends tried before it, and why each failed. */
  failures: Record<string, string>;
}

/** The report once a WebGPU device is lost and the kernels run on WebAssembly. */
export function afterDeviceLoss(chosen: BackendReport, lost: string): BackendReport {
  return { name: "wasm", reason: `wasm: fell back from webgpu because ${lost}`, failures: { ...chosen.failures, webgpu: lost } };
}
