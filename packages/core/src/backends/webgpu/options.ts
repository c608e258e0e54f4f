// The WebGPU backend's options and adapter description, apart from the backend:
// the public types of @veil/core import this file, which names no WebGPU type,
// so an app type-checks them without @webgpu/types (skipLibCheck: false).
import type { RandomSource } from "../../random/source.js";

/** What Veil needs of a WebGPU entry point (navigator.gpu, or the `webgpu` package's in Node). */
export interface GpuEntryPoint {
  requestAdapter(options?: object): Promise<unknown>;
}

/** How the WebGPU backend starts: the GPU object (Node), whether a fallback adapter is acceptable, a binding cap, a device-loss callback. */
export interface WebGpuBackendOptions {
  /**
   * The WebGPU entry point; defaults to `navigator.gpu` (pass `create([])` of the
   * `webgpu` package in Node). Typed by shape, so the public types need no
   * @webgpu/types: any object with WebGPU's `requestAdapter` will do.
   */
  gpu?: GpuEntryPoint;
  random?: RandomSource;
  wasm?: URL | string | BufferSource;
  /** Accept a fallback (software) adapter. `auto` selection leaves this off: WebAssembly is faster there. */
  allowFallbackAdapter?: boolean;
  /** Cap on one buffer binding in bytes, below the device's limit (tests use it to force slicing). */
  maxBindingBytes?: number;
  /** Called once if the device is lost (after which the backend runs on WebAssembly). */
  onLost?: (reason: string) => void;
}

/** What the WebGPU adapter says it is (for reports; a fallback adapter is a software one such as SwiftShader). */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
}
