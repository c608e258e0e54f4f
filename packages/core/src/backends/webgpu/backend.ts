// The WebGPU backend: the distance and top-K kernels of ./kernels.ts on the GPU,
// for the work that scans the whole vocabulary (the neighbour-table build, M1's
// nearest words, the distance rows of M2 and of M3 beyond the table), each for a
// whole batch in one dispatch per vocabulary slice. Everything else (samplers,
// M4, the float64 re-ranking) runs in the WebAssembly backend it wraps, so with
// the same random stream both backends give the same outputs.
//
// Limits: the vocabulary is cut into slices that fit `maxStorageBufferBindingSize`
// (and `maxBufferSize`); query blocks are sized so every output binding fits too.
// If the device is lost, every kernel falls back to WebAssembly and `lost` says why.
import type { Embedding } from "../../embeddings/embedding.js";
import type { AdapterDescription, WebGpuBackendOptions } from "./options.js";
import type { RandomSource } from "../../random/source.js";
import {
  emptyKnnResult,
  type AsyncKernels,
  type Backend,
  type GumbelSamplerParams,
  type KnnProgress,
  type KnnResult,
  type NearestTwoBatch,
} from "../backend.js";
import {
  exactWhereTheMassIs,
  float32DistanceErrorBound,
  knnRowFromShortlist,
  maxSquaredNorm,
  nearestFromShortlist,
  NEAREST_SHORTLIST,
  SHORTLIST_EXTRA,
  squaredNorm,
} from "../shortlist.js";
import { createWasmBackend, type WasmBackend } from "../wasm.js";
import { forEachWeightRowFromDistances, type WeightRow } from "../weight-row.js";
import { DISTANCES_WGSL, MAX_KK, topkWgsl } from "./kernels.js";
import type { TextKernel } from "../../text/text-kernel.js";

/** Queries per dispatch at most (progress granularity for the table build). */
const QUERY_BLOCK = 4096;

export type { WebGpuBackendOptions, AdapterDescription } from "./options.js";

export async function createWebGpuBackend(embedding: Embedding, o: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const gpu = (o.gpu as GPU | undefined) ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new Error("WebGPU is not available here (no navigator.gpu)");
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error("no WebGPU adapter was found (headless Chromium needs --enable-unsafe-webgpu)");
  const info = adapter.info as Partial<GPUAdapterInfo> | undefined;
  const desc: AdapterDescription = {
    vendor: info?.vendor ?? "",
    architecture: info?.architecture ?? "",
    description: info?.description ?? "",
    isFallbackAdapter: Boolean(info?.isFallbackAdapter ?? (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
  if (desc.isFallbackAdapter && !o.allowFallbackAdapter)
    throw new Error(
      `the only WebGPU adapter is a fallback (software) adapter${desc.description ? ` (${desc.description})` : ""}; WebAssembly is faster on this machine`,
    );
  const device = await adapter.requestDevice({
    requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
  });
  const inner = await createWasmBackend(embedding, { ...(o.random && { random: o.random }), ...(o.wasm !== undefined && { wasm: o.wasm }) });
  return new WebGpuBackend(embedding, inner, device, desc, o);
}

interface Slice {
  start: number;
  rows: number;
  buffer: GPUBuffer;
}

interface TopkResult {
  ids: Uint32Array;
  d2: Float32Array;
  max: Float32Array;
  arg: Uint32Array;
}

export class WebGpuBackend implements Backend {
  readonly name = "webgpu" as const;
  readonly async: AsyncKernels;
  #lost: string | null = null;
  #disposed = false;
  private readonly slices: Slice[] = [];
  private readonly bindLimit: number;
  private readonly vNormMax: number;
  private readonly distancePipeline: GPUComputePipeline;
  private readonly topkPipelines = new Map<number, GPUComputePipeline>();
  private rows: Map<number, Float32Array> | null = null;

  /** Text is handled in the WebAssembly module this backend keeps beside the GPU. */
  get text(): TextKernel {
    return this.inner.text;
  }

  constructor(
    readonly embedding: Embedding,
    private readonly inner: WasmBackend,
    readonly device: GPUDevice,
    readonly adapter: AdapterDescription,
    private readonly options: WebGpuBackendOptions,
  ) {
    const e = embedding;
    const lim = device.limits;
    this.bindLimit = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize, options.maxBindingBytes ?? Infinity);
    const perSlice = Math.floor(this.bindLimit / (e.d * 4));
    if (perSlice < 1) throw new Error(`one ${e.d}-dimensional vector does not fit the device's ${this.bindLimit}-byte buffer binding`);
    for (let start = 0; start < e.n; start += perSlice) {
      const rows = Math.min(perSlice, e.n - start);
      const t = new Float32Array(rows * e.d); // dimension-major: t[k * rows + j]
      for (let j = 0; j < rows; j++) for (let k = 0; k < e.d; k++) t[k * rows + j] = e.vectors[(start + j) * e.d + k]!;
      const buffer = device.createBuffer({ size: t.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buffer, 0, t);
      this.slices.push({ start, rows, buffer });
    }
    this.vNormMax = maxSquaredNorm(e);
    const self = this;
    this.async = {
      nearestWords: (points, count) => this.nearestWordsGpu(points, count),
      prefetchRows: (ids) => this.prefetchRows(ids),
      releaseRows: () => this.releaseRows(),
      knn: (K, rowStart, rowEnd, onProgress) => this.knnGpu(K, rowStart, rowEnd, onProgress),
      get lost() {
        return self.lost;
      },
    };
    this.distancePipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module: device.createShaderModule({ code: DISTANCES_WGSL }), entryPoint: "distances" },
    });
    void device.lost.then((info) => {
      if (this.#disposed) return;
      this.markLost(`the WebGPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ""})`);
    });
  }

  /** Why the device is gone, or null while it works. */
  get lost(): string | null {
    return this.#lost;
  }

  private markLost(reason: string): void {
    if (this.#lost) return;
    this.#lost = reason;
    this.options.onLost?.(reason);
  }

  /** A dispatch threw (device gone, out of memory): from now on everything runs on WebAssembly. */
  private dispatchFailed(err: unknown): void {
    this.markLost(`a WebGPU dispatch failed (${err instanceof Error ? err.message : String(err)})`);
  }

  // --- the synchronous Backend: WebAssembly ----------------------------------
  setRandomSource(source: RandomSource): void {
    this.inner.setRandomSource(source);
  }
  uniforms(count: number): Float64Array {
    return this.inner.uniforms(count);
  }
  laplaceNoise(epsilon: number): Float64Array {
    return this.inner.laplaceNoise(epsilon);
  }
  nearestWords(points: Float64Array, count: number): Int32Array {
    return this.inner.nearestWords(points, count);
  }
  nearestTwo(points: Float64Array, count: number): NearestTwoBatch {
    return this.inner.nearestTwo(points, count);
  }
  gumbelBatch(ids: Int32Array, p: GumbelSamplerParams): Int32Array {
    return this.inner.gumbelBatch(ids, p);
  }
  neighbourDistances(w: number, k: number): Float64Array {
    return this.inner.neighbourDistances(w, k);
  }
  expSample(row: Float64Array, scale: number, u: number): number {
    return this.inner.expSample(row, scale, u);
  }

  expSampleMany(row: Float64Array, scale: number, us: Float64Array): Int32Array {
    return this.inner.expSampleMany(row, scale, us);
  }

  temSelectMany(dists: Float64Array, halfEps: number, logCatch: number, us: Float64Array): Int32Array {
    return this.inner.temSelectMany(dists, halfEps, logCatch, us);
  }
  temSelect(dists: Float64Array, halfEps: number, logCatch: number, u: number): number {
    return this.inner.temSelect(dists, halfEps, logCatch, u);
  }
  knn(K: number, rowStart: number, rowEnd: number, onProgress?: KnnProgress): KnnResult {
    return this.inner.knn(K, rowStart, rowEnd, onProgress);
  }

  /** Serves rows computed by `prefetchRows` (float32 on the GPU, exact where the mass is); otherwise WebAssembly. */
  forEachDistanceRow(ids: Int32Array, fn: (i: number, row: Float64Array) => void, from = 0): void {
    const rows = this.rows;
    if (!rows || !ids.every((w) => rows.has(w))) return this.inner.forEachDistanceRow(ids, fn, from);
    const e = this.embedding;
    const row = new Float64Array(e.n - from);
    ids.forEach((w, i) => {
      const d2 = rows.get(w)!;
      for (let j = from; j < e.n; j++) row[j - from] = Math.sqrt(d2[j]!);
      exactWhereTheMassIs(e, w, row, (x, k) => this.inner.neighbourDistances(x, k), from);
      fn(i, row);
    });
  }

  /** From the prefetched rows where there are some (in TypeScript, as the JS backend); otherwise WebAssembly's kernel. */
  forEachWeightRow(ids: Int32Array, scale: number, radius: number, fn: (i: number, row: WeightRow) => void): void {
    const rows = this.rows;
    if (!rows || !ids.every((w) => rows.has(w))) return this.inner.forEachWeightRow(ids, scale, radius, fn);
    forEachWeightRowFromDistances(this, ids, scale, radius, fn);
  }

  // --- the asynchronous kernels ----------------------------------------------
  private async nearestWordsGpu(points: Float64Array, count: number): Promise<Int32Array> {
    const e = this.embedding;
    const kk = Math.min(NEAREST_SHORTLIST, e.n);
    if (this.#lost) return this.inner.nearestWords(points, count);
    let top: TopkResult;
    try {
      top = await this.topk(Float32Array.from(points.subarray(0, count * e.d)), count, kk, -1);
    } catch (err) {
      this.dispatchFailed(err);
      return this.inner.nearestWords(points, count);
    }
    const out = new Int32Array(count);
    for (let q = 0; q < count; q++) {
      const err = float32DistanceErrorBound(e.d, squaredNorm(points, q, e.d), this.vNormMax);
      out[q] = nearestFromShortlist(e, points, q, top.ids.subarray(q * kk, (q + 1) * kk), top.d2[(q + 1) * kk - 1]!, err);
    }
    return out;
  }

  private async prefetchRows(ids: Int32Array): Promise<void> {
    const unique = [...new Set(ids)];
    const rows = new Map<number, Float32Array>();
    if (unique.length && !this.#lost) {
      try {
        const { d, n, vectors } = this.embedding;
        const queries = new Float32Array(unique.length * d);
        unique.forEach((w, i) => queries.set(vectors.subarray(w * d, (w + 1) * d), i * d));
        const d2 = await this.distances(queries, unique.length);
        unique.forEach((w, i) => rows.set(w, d2.subarray(i * n, (i + 1) * n)));
      } catch (err) {
        this.dispatchFailed(err);
        return;
      }
    }
    this.rows = rows;
  }

  private releaseRows(): void {
    this.rows = null;
  }

  private async knnGpu(K: number, rowStart: number, rowEnd: number, onProgress?: KnnProgress): Promise<KnnResult> {
    const e = this.embedding;
    const kk = Math.min(K + SHORTLIST_EXTRA, e.n - 1);
    if (this.#lost || kk > MAX_KK) return this.inner.knn(K, rowStart, rowEnd, onProgress);
    const rows = rowEnd - rowStart;
    const res = emptyKnnResult(rowStart, rows, K);
    for (let r0 = 0; r0 < rows; r0 += QUERY_BLOCK) {
      const nq = Math.min(QUERY_BLOCK, rows - r0);
      const w0 = rowStart + r0;
      let top: TopkResult;
      try {
        top = await this.topk(e.vectors.subarray(w0 * e.d, (w0 + nq) * e.d), nq, kk, w0);
      } catch (err) {
        this.dispatchFailed(err);
        const rest = this.inner.knn(K, w0, rowEnd);
        res.ids.set(rest.ids, r0 * K);
        res.nearest.set(rest.nearest, r0);
        res.farthest.set(rest.farthest, r0);
        res.farthestId.set(rest.farthestId, r0);
        res.rescanned += rest.rescanned;
        onProgress?.(rows, rows);
        return res;
      }
      for (let q = 0; q < nq; q++) {
        const w = w0 + q;
        const err = float32DistanceErrorBound(e.d, squaredNorm(e.vectors, w, e.d), this.vNormMax);
        knnRowFromShortlist(e, res, r0 + q, w, top.ids.subarray(q * kk, (q + 1) * kk), top.d2[(q + 1) * kk - 1]!, err, top.arg[q]!);
      }
      onProgress?.(r0 + nq, rows);
    }
    return res;
  }

  // --- dispatch -----------------------------------------------------------------
  private topkPipeline(kk: number): GPUComputePipeline {
    let p = this.topkPipelines.get(kk);
    if (!p) {
      p = this.device.createComputePipeline({
        layout: "auto",
        compute: { module: this.device.createShaderModule({ code: topkWgsl(kk) }), entryPoint: "topk" },
      });
      this.topkPipelines.set(kk, p);
    }
    return p;
  }

  private params(slice: Slice, selfBase: number, nq: number): GPUBuffer {
    const b = this.device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const a = new ArrayBuffer(32);
    const v = new DataView(a);
    v.setUint32(0, slice.rows, true);
    v.setUint32(4, this.embedding.d, true);
    v.setUint32(8, slice.start, true);
    v.setInt32(12, selfBase, true);
    v.setUint32(16, nq, true);
    this.device.queue.writeBuffer(b, 0, a);
    return b;
  }

  private storage(bytes: number, data?: Float32Array): GPUBuffer {
    const b = this.device.createBuffer({ size: Math.max(16, bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    if (data) this.device.queue.writeBuffer(b, 0, data as Float32Array<ArrayBuffer>);
    return b;
  }

  /** Records one compute pass: `buffers` bound in order as bindings 0.., then (x, y) workgroups. */
  private encodePass(encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, buffers: GPUBuffer[], x: number, y = 1): void {
    const group = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  /** Copies GPU buffers back (one submit for the commands and the copies). */
  private async readBack(encoder: GPUCommandEncoder, sources: GPUBuffer[], sizes: number[]): Promise<ArrayBuffer[]> {
    const reads = sources.map((src, i) => {
      const r = this.device.createBuffer({ size: Math.max(16, sizes[i]!), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      encoder.copyBufferToBuffer(src, 0, r, 0, Math.max(16, sizes[i]!));
      return r;
    });
    this.device.queue.submit([encoder.finish()]);
    await Promise.all(reads.map((r) => r.mapAsync(GPUMapMode.READ)));
    const out = reads.map((r, i) => r.getMappedRange(0, Math.max(16, sizes[i]!)).slice(0, sizes[i]!));
    reads.forEach((r) => r.destroy());
    return out;
  }

  private maxQueries(bytesPerQuery: number): number {
    return Math.max(1, Math.min(this.device.limits.maxComputeWorkgroupsPerDimension, Math.floor(this.bindLimit / bytesPerQuery)));
  }

  /** Top-`kk` shortlists of `count` float32 queries over the whole vocabulary. */
  private async topk(queries: Float32Array, count: number, kk: number, selfBase: number): Promise<TopkResult> {
    const d = this.embedding.d;
    const res: TopkResult = { ids: new Uint32Array(count * kk), d2: new Float32Array(count * kk), max: new Float32Array(count), arg: new Uint32Array(count) };
    const block = Math.min(QUERY_BLOCK, this.maxQueries(Math.max(d, kk) * 4));
    const pipeline = this.topkPipeline(kk);
    for (let q0 = 0; q0 < count; q0 += block) {
      const nq = Math.min(block, count - q0);
      const qBuf = this.storage(nq * d * 4, queries.subarray(q0 * d, (q0 + nq) * d));
      const encoder = this.device.createCommandEncoder();
      const outs: GPUBuffer[] = [];
      const sizes: number[] = [];
      const temp: GPUBuffer[] = [qBuf];
      for (const s of this.slices) {
        const bufs = [this.storage(nq * kk * 4), this.storage(nq * kk * 4), this.storage(nq * 4), this.storage(nq * 4)];
        const params = this.params(s, selfBase >= 0 ? selfBase + q0 : -1, nq);
        this.encodePass(encoder, pipeline, [params, s.buffer, qBuf, ...bufs], nq);
        outs.push(...bufs);
        sizes.push(nq * kk * 4, nq * kk * 4, nq * 4, nq * 4);
        temp.push(params, ...bufs);
      }
      const got = await this.readBack(encoder, outs, sizes);
      temp.forEach((b) => b.destroy());
      this.mergeSlices(got, nq, kk, q0, res);
    }
    return res;
  }

  /** Merges per-slice shortlists (each ascending by (d^2, id)) into `res` at query offset q0. */
  private mergeSlices(got: ArrayBuffer[], nq: number, kk: number, q0: number, res: TopkResult): void {
    const parts = this.slices.map((_, s) => ({
      d2: new Float32Array(got[4 * s]!),
      ids: new Uint32Array(got[4 * s + 1]!),
      max: new Float32Array(got[4 * s + 2]!),
      arg: new Uint32Array(got[4 * s + 3]!),
    }));
    for (let q = 0; q < nq; q++) {
      const o = (q0 + q) * kk;
      if (parts.length === 1) {
        res.d2.set(parts[0]!.d2.subarray(q * kk, (q + 1) * kk), o);
        res.ids.set(parts[0]!.ids.subarray(q * kk, (q + 1) * kk), o);
      } else {
        const cands: { d: number; y: number }[] = [];
        for (const p of parts) for (let t = 0; t < kk; t++) cands.push({ d: p.d2[q * kk + t]!, y: p.ids[q * kk + t]! });
        cands.sort((a, b) => a.d - b.d || a.y - b.y);
        for (let t = 0; t < kk; t++) ((res.d2[o + t] = cands[t]!.d), (res.ids[o + t] = cands[t]!.y));
      }
      let mx = -1,
        ma = 0xffffffff;
      for (const p of parts) if (p.max[q]! > mx || (p.max[q] === mx && p.arg[q]! < ma)) ((mx = p.max[q]!), (ma = p.arg[q]!));
      res.max[q0 + q] = mx;
      res.arg[q0 + q] = ma;
    }
  }

  /** Squared float32 distances of `count` queries to every word (count x n). */
  private async distances(queries: Float32Array, count: number): Promise<Float32Array> {
    const e = this.embedding;
    const out = new Float32Array(count * e.n);
    const widest = Math.max(...this.slices.map((s) => s.rows));
    const block = this.maxQueries(Math.max(widest, e.d) * 4);
    for (let q0 = 0; q0 < count; q0 += block) {
      const nq = Math.min(block, count - q0);
      const qBuf = this.storage(nq * e.d * 4, queries.subarray(q0 * e.d, (q0 + nq) * e.d));
      const encoder = this.device.createCommandEncoder();
      const outs: GPUBuffer[] = [];
      const temp: GPUBuffer[] = [qBuf];
      for (const s of this.slices) {
        const o = this.storage(nq * s.rows * 4);
        const params = this.params(s, -1, nq);
        this.encodePass(encoder, this.distancePipeline, [params, s.buffer, qBuf, o], Math.ceil(s.rows / 64), nq);
        outs.push(o);
        temp.push(params, o);
      }
      const got = await this.readBack(
        encoder,
        outs,
        this.slices.map((s) => nq * s.rows * 4),
      );
      temp.forEach((b) => b.destroy());
      this.slices.forEach((s, i) => {
        const part = new Float32Array(got[i]!);
        for (let q = 0; q < nq; q++) out.set(part.subarray(q * s.rows, (q + 1) * s.rows), (q0 + q) * e.n + s.start);
      });
    }
    return out;
  }

  dispose(): void {
    this.#disposed = true;
    this.inner.dispose();
    for (const s of this.slices) s.buffer.destroy();
    this.device.destroy();
  }
}
