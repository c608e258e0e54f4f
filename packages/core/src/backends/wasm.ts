// The default backend: the AssemblyScript kernels in assembly/ compiled to
// WebAssembly SIMD. Memory is managed by hand: the vocabulary, the neighbour table
// and scratch buffers live in the module's linear memory and are passed as byte
// offsets; typed views are re-created after any call that may grow memory.
//
// Exactness: the matrix-product distance kernel is float32. Every nearest-word
// decision is re-ranked in float64 over a shortlist, and the shortlist is
// certified: if the float32 error bound could let a word outside it win, the row
// is rescanned in float64 (counted in `rescanned`).
import type { Embedding } from "../embeddings/embedding.js";
import { storedInt8 } from "../embeddings/pack-reader.js";
import { cryptoSource, type RandomSource } from "../random/source.js";
import { emptyKnnResult, type Backend, type GumbelSamplerParams, type KnnProgress, type KnnResult, type NearestTwoBatch } from "./backend.js";
import {
  exactWhereTheMassIs,
  float32DistanceErrorBound,
  knnRowFromShortlist,
  nearestFromShortlist,
  nearestTwoFromShortlist,
  NEAREST_SHORTLIST,
  SHORTLIST_EXTRA,
} from "./shortlist.js";
import { nearestTwoBatch, type NearestTwo } from "./exact.js";
import { compileVeilWasm, instantiateVeilWasm, type VeilWasmExports } from "./wasm-module.js";
import { WasmTextKernel } from "./wasm-text.js";
import { symmetricShortlistLength, type SymmetricShortlists } from "./knn-symmetric.js";
import {
  distanceWeight,
  forEachWeightRowFromDistances,
  withExactWeights,
  WEIGHT_BLOCK,
  WEIGHT_EXPONENT_FLOOR,
  type ExactWeights,
  type WeightRow,
} from "./weight-row.js";

const QUERY_BLOCK = 64;
const CHUNK_PANELS = 128; // 1024 vocabulary columns per tile: 64 x 1024 floats = 256 KiB

export interface WasmBackendOptions {
  random?: RandomSource;
  /** Where veil.wasm is (URL or bytes); defaults to the file beside this module. */
  wasm?: URL | string | BufferSource;
}

/** Compiles veil.wasm (once per realm), instantiates it for this embedding and copies the vectors and table in. Throws if WebAssembly or SIMD is missing. */
export async function createWasmBackend(embedding: Embedding, options: WasmBackendOptions = {}): Promise<WasmBackend> {
  if (typeof WebAssembly !== "object") throw new Error("WebAssembly is not available");
  const mod = await compileVeilWasm(options.wasm);
  const holder: { b?: WasmBackend } = {};
  const ex = await instantiateVeilWasm(mod, (ptr, len) => holder.b!.fillRandom(ptr, len));
  const b = new WasmBackend(embedding, ex, options.random ?? cryptoSource());
  holder.b = b;
  return b;
}

export class WasmBackend implements Backend {
  readonly name = "wasm" as const;
  private readonly ex: VeilWasmExports;
  private source: RandomSource;
  private readonly vecs: number;
  private readonly table: number;
  private readonly distCache: number;
  private scaleB = NaN;
  private panels = 0;
  private vNorms = 0;
  private vNormMax = 0;
  private readonly scratch = new Map<string, { ptr: number; bytes: number }>();
  /** Spans, look-up and output of all-ASCII texts in the module (assembly/text.ts). */
  readonly text: WasmTextKernel;

  constructor(
    readonly embedding: Embedding,
    ex: VeilWasmExports,
    source: RandomSource,
  ) {
    this.ex = ex;
    this.source = source;
    this.text = new WasmTextKernel(ex, embedding, (name, bytes) => this.buf(name, bytes));
    const e = embedding;
    this.vecs = this.placeVectors(e);
    if (e.neighbours) {
      this.table = ex.alloc(e.neighbours.byteLength);
      this.i32(this.table, e.neighbours.length).set(e.neighbours);
      this.distCache = ex.alloc(e.n * e.K * 8);
      // No fill: the instance is fresh (one per backend) and these are its first
      // allocations, from the bump allocator of AssemblyScript's stub runtime, so
      // the cache is still all zero bits, which read as "not computed" (see
      // cachedDistance in assembly/mechanisms.ts).
    } else {
      this.table = 0;
      this.distCache = 0;
    }
  }

  /**
   * The float32 vectors in the module's memory. An int8 pack's are scaled there from its stored
   * values (assembly/distances.ts int8ToF32InPlace, the same bits as the embedding's own), so
   * `embedding.vectors` is not read: made lazily by readPack, it is then never made unless a
   * JavaScript step needs it.
   */
  private placeVectors(e: Embedding): number {
    const count = e.n * e.d;
    const ptr = this.ex.alloc(count * 4);
    const int8 = storedInt8(e);
    if (int8) {
      const pScales = this.buf("scales", e.d * 4);
      this.f32(pScales, e.d).set(int8.scales);
      new Int8Array(this.ex.memory.buffer, ptr + 3 * count, count).set(int8.q);
      this.ex.int8ToF32InPlace(ptr, pScales, e.n, e.d);
    } else this.u8(ptr, count * 4).set(new Uint8Array(e.vectors.buffer, e.vectors.byteOffset, count * 4));
    return ptr;
  }

  /** Called from inside WebAssembly when its random pool runs dry. */
  fillRandom(ptr: number, len: number): void {
    this.source.fill(this.u8(ptr, len));
  }

  setRandomSource(source: RandomSource): void {
    this.source = source;
    this.ex.resetRandomPool();
  }

  // --- views and scratch ----------------------------------------------------
  private u8(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.ex.memory.buffer, ptr, len);
  }
  private i32(ptr: number, len: number): Int32Array {
    return new Int32Array(this.ex.memory.buffer, ptr, len);
  }
  private f32(ptr: number, len: number): Float32Array {
    return new Float32Array(this.ex.memory.buffer, ptr, len);
  }
  private f64(ptr: number, len: number): Float64Array {
    return new Float64Array(this.ex.memory.buffer, ptr, len);
  }
  /** A named scratch buffer of at least `bytes`, reused across calls. */
  private buf(name: string, bytes: number): number {
    const cur = this.scratch.get(name);
    if (cur && cur.bytes >= bytes) return cur.ptr;
    if (cur) this.ex.free(cur.ptr);
    const ptr = this.ex.alloc(Math.max(16, bytes));
    this.scratch.set(name, { ptr, bytes });
    return ptr;
  }

  private ensurePanels(): void {
    if (this.panels) return;
    const e = this.embedding;
    const nPad = Math.ceil(e.n / 8) * 8;
    this.panels = this.ex.alloc(nPad * e.d * 4);
    this.vNorms = this.ex.alloc(nPad * 4);
    this.ex.packPanels(this.vecs, e.n, e.d, this.panels, this.vNorms);
    const norms = this.f32(this.vNorms, e.n);
    let m = 0;
    for (let i = 0; i < e.n; i++) m = Math.max(m, norms[i]!);
    this.vNormMax = m;
  }

  // --- primitives -----------------------------------------------------------
  uniforms(count: number): Float64Array {
    const p = this.buf("uniforms", count * 8);
    this.ex.drawUniforms(p, count);
    return this.f64(p, count).slice();
  }

  laplaceNoise(epsilon: number): Float64Array {
    const d = this.embedding.d;
    const p = this.buf("noise", d * 8);
    this.ex.laplaceNoise(p, d, epsilon);
    return this.f64(p, d).slice();
  }

  gumbelBatch(ids: Int32Array, p: GumbelSamplerParams): Int32Array {
    const e = this.embedding;
    const m = ids.length;
    const pIds = this.buf("ids", m * 4);
    const pOut = this.buf("out", m * 4);
    const pCdf = this.buf("cdf", p.poissonCdf.byteLength);
    const pRace = this.buf("race", (3 * (e.K + 1) + e.K + 2) * 8); // assembly/mechanisms.ts gumbelBatch: the race rows, then draws across a refill
    const pScale = this.scaleCacheFor(p.b);
    this.i32(pIds, m).set(ids);
    this.f64(pCdf, p.poissonCdf.length).set(p.poissonCdf);
    this.ex.gumbelBatch(pIds, m, pOut, this.vecs, e.d, this.table, e.K, pCdf, p.b, p.fLow, p.fRange, p.tangentAt, this.distCache, pScale, pRace);
    return this.i32(pOut, m).slice();
  }

  /**
   * M4's cache of exp(d/b) per table slot (f64[n*K], 0 = not computed) for the
   * latest b: allocated at the first M4 call, cleared when b changes (8 MB on the
   * default pack, about 2 ms to clear).
   */
  private scaleCacheFor(b: number): number {
    const bytes = this.embedding.n * this.embedding.K * 8;
    const fresh = this.scaleB !== b;
    const ptr = this.buf("scale", bytes);
    if (fresh) this.u8(ptr, bytes).fill(0);
    this.scaleB = b;
    return ptr;
  }

  neighbourDistances(w: number, k: number): Float64Array {
    const e = this.embedding;
    if (!this.table || k === 0) return new Float64Array(k);
    const p = this.buf("nd", k * 8);
    this.ex.neighbourDistances(w, k, this.vecs, e.d, this.table, e.K, this.distCache, p);
    return this.f64(p, k).slice();
  }

  /** The row's offset in WASM memory, copying it in when it lives elsewhere (an offset stays valid if later allocations grow the memory). */
  private rowPtr(row: Float64Array): number {
    if (row.buffer === this.ex.memory.buffer) return row.byteOffset;
    const ptr = this.buf("exprow", row.length * 8);
    this.f64(ptr, row.length).set(row);
    return ptr;
  }

  expSample(row: Float64Array, scale: number, u: number): number {
    const n = row.length;
    const ptr = this.rowPtr(row);
    const w = this.buf("weights", n * 8);
    return this.ex.expSample(ptr, n, scale, u, w);
  }

  expSampleMany(row: Float64Array, scale: number, us: Float64Array): Int32Array {
    const n = row.length;
    const ptr = this.rowPtr(row);
    const w = this.buf("weights", n * 8);
    const prefix = this.buf("prefix", n * 8);
    const uPtr = this.buf("expus", us.length * 8);
    const outPtr = this.buf("expout", us.length * 4);
    this.f64(uPtr, us.length).set(us);
    this.ex.expSampleMany(ptr, n, scale, uPtr, us.length, w, prefix, outPtr);
    return new Int32Array(this.ex.memory.buffer, outPtr, us.length).slice();
  }

  temSelectMany(dists: Float64Array, halfEps: number, logCatch: number, us: Float64Array): Int32Array {
    const p = this.buf("tem", Math.max(1, dists.length) * 8);
    const prefix = this.buf("temprefix", Math.max(1, dists.length) * 8);
    const uPtr = this.buf("temus", us.length * 8);
    const outPtr = this.buf("temout", us.length * 4);
    this.f64(p, dists.length).set(dists);
    this.f64(uPtr, us.length).set(us);
    this.ex.temSelectMany(p, dists.length, halfEps, logCatch, uPtr, us.length, prefix, outPtr);
    return new Int32Array(this.ex.memory.buffer, outPtr, us.length).slice();
  }

  temSelect(dists: Float64Array, halfEps: number, logCatch: number, u: number): number {
    const p = this.buf("tem", Math.max(1, dists.length) * 8);
    this.f64(p, dists.length).set(dists);
    return this.ex.temSelect(p, dists.length, halfEps, logCatch, u);
  }

  /**
   * Runs the float32 top-`kk` kernel for `count` query vectors (f32, row-major)
   * and hands each query's shortlist (ids, f32 squared distances, the shortlist's
   * cut-off) to `visit`. `selfBase` >= 0 excludes word selfBase+q from query q.
   * Only `trackMax` searches also find each row's largest distance and its id
   * (the table build's d_max); otherwise `visit` gets -Infinity and -1 for them.
   */
  private shortlists(
    queries: Float32Array,
    count: number,
    kk: number,
    selfBase: number,
    trackMax: boolean,
    visit: (q: number, ids: Int32Array, d2: Float32Array, cut: number, qNorm: number, rowMax: number, rowArg: number) => void,
    onBlock?: (done: number) => void,
  ): void {
    this.ensurePanels();
    const e = this.embedding;
    const d = e.d;
    const pQ = this.buf("q", QUERY_BLOCK * d * 4);
    const pQn = this.buf("qn", QUERY_BLOCK * 4);
    const pTile = this.buf("tile", QUERY_BLOCK * CHUNK_PANELS * 8 * 4);
    const pHd = this.buf("heapD", QUERY_BLOCK * kk * 4);
    const pHi = this.buf("heapI", QUERY_BLOCK * kk * 4);
    const pMax = this.buf("rowMax", QUERY_BLOCK * 4);
    const pArg = this.buf("rowArg", QUERY_BLOCK * 4);
    for (let q0 = 0; q0 < count; q0 += QUERY_BLOCK) {
      const nq = Math.min(QUERY_BLOCK, count - q0);
      const nq4 = this.loadQueryBlock(queries, q0, nq, pQ, pQn);
      this.ex.topkInit(pHd, pHi, nq4, kk, pMax, pArg);
      this.ex.knnBlock(
        pQ,
        pQn,
        nq4,
        d,
        this.panels,
        this.vNorms,
        e.n,
        pTile,
        CHUNK_PANELS,
        selfBase >= 0 ? selfBase + q0 : -1,
        pHd,
        pHi,
        kk,
        pMax,
        pArg,
        trackMax ? 1 : 0,
      );
      const hd = this.f32(pHd, nq4 * kk),
        hi = this.i32(pHi, nq4 * kk);
      const qn = this.f32(pQn, nq4),
        rm = this.f32(pMax, nq4),
        ra = this.i32(pArg, nq4);
      for (let q = 0; q < nq; q++) {
        visit(q0 + q, hi.subarray(q * kk, (q + 1) * kk), hd.subarray(q * kk, (q + 1) * kk), hd[q * kk]!, qn[q]!, rm[q]!, ra[q]!);
      }
      onBlock?.(q0 + nq);
    }
  }

  /** Query vectors q0 .. q0 + nq of `queries` into pQ, padded with zero rows to a multiple of 4 (the kernel's), and their norms into pQn; returns the padded count. */
  private loadQueryBlock(queries: Float32Array, q0: number, nq: number, pQ: number, pQn: number): number {
    const d = this.embedding.d;
    const nq4 = (nq + 3) & ~3;
    const qv = this.f32(pQ, nq4 * d);
    qv.set(queries.subarray(q0 * d, (q0 + nq) * d));
    qv.fill(0, nq * d);
    this.ex.rowNorms(pQ, nq4, d, pQn);
    return nq4;
  }

  private errorBound(qNorm: number): number {
    return float32DistanceErrorBound(this.embedding.d, qNorm, this.vNormMax);
  }

  nearestWords(points: Float64Array, count: number): Int32Array {
    const e = this.embedding;
    const out = new Int32Array(count);
    const kk = Math.min(NEAREST_SHORTLIST, e.n);
    const q32 = Float32Array.from(points.subarray(0, count * e.d));
    this.shortlists(q32, count, kk, -1, false, (q, ids, _d2, cut, qNorm) => {
      out[q] = nearestFromShortlist(e, points, q, ids, cut, this.errorBound(qNorm));
    });
    return out;
  }

  nearestTwo(points: Float64Array, count: number): NearestTwoBatch {
    const e = this.embedding;
    const found: NearestTwo[] = new Array<NearestTwo>(count);
    const kk = Math.min(NEAREST_SHORTLIST, e.n);
    this.shortlists(Float32Array.from(points.subarray(0, count * e.d)), count, kk, -1, false, (q, ids, _d2, cut, qNorm) => {
      found[q] = nearestTwoFromShortlist(e, points, q, ids, cut, this.errorBound(qNorm));
    });
    return nearestTwoBatch(count, (i) => found[i]!);
  }

  forEachDistanceRow(ids: Int32Array, fn: (i: number, row: Float64Array) => void, from = 0): void {
    const e = this.embedding;
    const cols = e.n - from;
    const pRow = this.buf("row64", cols * 8);
    this.buf("weights", cols * 8); // reserved now so a sampler called from `fn` never grows memory under `row`
    // The tile starts at the panel holding column `from`; `skip` columns of it come before `from`.
    const firstPanel = Math.floor(from / 8);
    const skip = from - firstPanel * 8;
    this.forEachTileRow(
      ids,
      (i, w, tile) => {
        this.ex.sqrtRow(tile + skip * 4, cols, pRow);
        const row = this.f64(pRow, cols);
        exactWhereTheMassIs(e, w, row, (x, k) => this.neighbourDistances(x, k), from);
        fn(i, row);
      },
      firstPanel,
    );
  }

  /** The float32 kernel of assembly/weights.ts on each word's tile row, with float64-exact weights for the word and its table neighbours. */
  forEachWeightRow(ids: Int32Array, scale: number, radius: number, fn: (i: number, row: WeightRow) => void): void {
    // The kernel tells the radius by the exponent, which stops at -708: a radius past it goes through the float64 rows.
    if (Number.isFinite(radius) && scale * radius >= -WEIGHT_EXPONENT_FLOOR - 1) return forEachWeightRowFromDistances(this, ids, scale, radius, fn);
    const e = this.embedding;
    const nBlocks = Math.ceil(e.n / WEIGHT_BLOCK);
    const pSums = this.buf("wsums", nBlocks * 8);
    const pCounts = this.buf("wcounts", nBlocks * 4);
    const pBlock = this.buf("wblock", WEIGHT_BLOCK * 8);
    this.forEachTileRow(ids, (i, w, tile) => {
      this.ex.weightSums(tile, e.n, scale, radius, pSums, pCounts);
      const readBlock = (b: number, out: Float64Array): void => {
        this.ex.weightBlock(tile, e.n, b, scale, radius, pBlock);
        out.set(this.f64(pBlock, WEIGHT_BLOCK));
      };
      const sums = this.f64(pSums, nBlocks).slice();
      const counts = this.i32(pCounts, nBlocks).slice();
      fn(i, withExactWeights(e.n, sums, counts, readBlock, this.exactWeights(w, scale, radius)));
    });
  }

  /** The word itself and its table neighbours, where nearly all the mass is: their weights from float64-exact distances. */
  private exactWeights(w: number, scale: number, radius: number): ExactWeights {
    const e = this.embedding;
    const K = e.neighbours ? e.K : 0;
    const ids = new Int32Array(1 + K);
    const weights = new Float64Array(1 + K);
    ids[0] = w;
    weights[0] = distanceWeight(0, scale, radius);
    if (K > 0) {
      const nd = this.neighbourDistances(w, K);
      for (let j = 0; j < K; j++) ((ids[j + 1] = e.neighbours![w * K + j]!), (weights[j + 1] = distanceWeight(nd[j]!, scale, radius)));
    }
    return { ids, weights };
  }

  /**
   * Runs the distance kernel on `ids`, 16 words at a time, and hands each word's
   * row of float32 squared distances (a pointer into the tile) to `fn`: the
   * columns from panel `firstPanel` (column 8·firstPanel) to the end.
   */
  private forEachTileRow(ids: Int32Array, fn: (i: number, w: number, tile: number) => void, firstPanel = 0): void {
    this.ensurePanels();
    const e = this.embedding;
    const d = e.d;
    const nPanels = Math.ceil(e.n / 8);
    const stride = (nPanels - firstPanel) * 8;
    const block = 16;
    const pQ = this.buf("rq", block * d * 4);
    const pQn = this.buf("rqn", block * 4);
    const pTile = this.buf("rtile", block * stride * 4);
    for (let i0 = 0; i0 < ids.length; i0 += block) {
      const nq = Math.min(block, ids.length - i0);
      const nq4 = (nq + 3) & ~3;
      const qv = this.f32(pQ, nq4 * d);
      qv.fill(0);
      for (let q = 0; q < nq; q++) qv.set(e.vectors.subarray(ids[i0 + q]! * d, (ids[i0 + q]! + 1) * d), q * d);
      this.ex.rowNorms(pQ, nq4, d, pQn);
      this.ex.distTile(pQ, pQn, nq4, d, this.panels, this.vNorms, firstPanel, nPanels, pTile, stride);
      for (let q = 0; q < nq; q++) fn(i0 + q, ids[i0 + q]!, pTile + q * stride * 4);
    }
  }

  knn(K: number, rowStart: number, rowEnd: number, onProgress?: KnnProgress): KnnResult {
    const e = this.embedding;
    const rows = rowEnd - rowStart;
    const kk = Math.min(K + SHORTLIST_EXTRA, e.n - 1);
    const res = emptyKnnResult(rowStart, rows, K);
    const queries = e.vectors.subarray(rowStart * e.d, rowEnd * e.d);
    this.shortlists(
      queries,
      rows,
      kk,
      rowStart,
      true,
      (r, ids, _d2, cut, qNorm, _rowMax, rowArg) => knnRowFromShortlist(e, res, r, rowStart + r, ids, cut, this.errorBound(qNorm), rowArg),
      onProgress ? (done) => onProgress(done, rows) : undefined,
    );
    return res;
  }

  /**
   * Float32 shortlists of every row of the vocabulary from the query blocks of rows
   * [rowStart, rowEnd) (rowStart a multiple of 64), each pair's distance computed once
   * (knn-symmetric.ts); the parts that cover [0, n) together give the table through finishSymmetric.
   */
  knnSymmetricPart(K: number, rowStart: number, rowEnd: number, onProgress?: KnnProgress): SymmetricShortlists {
    if (rowStart % 64 !== 0) throw new RangeError(`knnSymmetricPart: rowStart ${rowStart} is not a multiple of 64`);
    this.ensurePanels();
    const e = this.embedding;
    const d = e.d;
    const kk = symmetricShortlistLength(e.n, K);
    const pQ = this.buf("q", QUERY_BLOCK * d * 4);
    const pQn = this.buf("qn", QUERY_BLOCK * 4);
    const pTile = this.buf("tile", QUERY_BLOCK * CHUNK_PANELS * 8 * 4);
    const pT = this.buf("tileT", QUERY_BLOCK * CHUNK_PANELS * 8 * 4);
    const [pHd, pHi] = [this.buf("symHeapD", e.n * kk * 4), this.buf("symHeapI", e.n * kk * 4)];
    const [pMax, pArg] = [this.buf("symMax", e.n * 4), this.buf("symArg", e.n * 4)];
    this.ex.topkInit(pHd, pHi, e.n, kk, pMax, pArg);
    for (let r0 = rowStart; r0 < rowEnd; r0 += QUERY_BLOCK) {
      const nq = Math.min(QUERY_BLOCK, rowEnd - r0);
      const nq4 = this.loadQueryBlock(e.vectors, r0, nq, pQ, pQn);
      this.ex.knnBlockSym(pQ, pQn, nq, nq4, d, this.panels, this.vNorms, e.n, pTile, CHUNK_PANELS, r0, pHd, pHi, kk, pMax, pArg, pT);
      onProgress?.(r0 + nq - rowStart, rowEnd - rowStart);
    }
    return {
      kk,
      heapD: this.f32(pHd, e.n * kk).slice(),
      heapI: this.i32(pHi, e.n * kk).slice(),
      rowMax: this.f32(pMax, e.n).slice(),
      rowArg: this.i32(pArg, e.n).slice(),
    };
  }

  dispose(): void {
    // The instance and its memory are garbage-collected with this object.
    this.scratch.clear();
  }
}
