// Loading veil.wasm: in Node from the file beside this module, in a browser by
// fetch (streaming compile). Nothing runs at import time (SSR-safe).

/** The exports of assembly/index.ts (pointers are byte offsets into `memory`). */
export interface VeilWasmExports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  resetRandomPool(): void;
  drawUniforms(out: number, count: number): void;
  laplaceNoise(out: number, d: number, epsilon: number): void;
  packPanels(vecs: number, n: number, d: number, panels: number, norms: number): void;
  rowNorms(vecs: number, count: number, d: number, out: number): void;
  int8ToF32InPlace(out: number, scales: number, n: number, d: number): void;
  distTile(q: number, qNorms: number, nq: number, d: number, panels: number, vNorms: number, p0: number, p1: number, out: number, stride: number): void;
  dist64(x: number, y: number, d: number): number;
  sqrtRow(inp: number, n: number, out: number): void;
  topkInit(heapD: number, heapI: number, nq: number, kk: number, rowMax: number, rowArg: number): void;
  knnBlock(
    q: number,
    qNorms: number,
    nq: number,
    d: number,
    panels: number,
    vNorms: number,
    n: number,
    tile: number,
    chunkPanels: number,
    selfBase: number,
    heapD: number,
    heapI: number,
    kk: number,
    rowMax: number,
    rowArg: number,
    trackMax: number,
  ): void;
  knnBlockSym(
    q: number,
    qNorms: number,
    nq: number,
    nqPadded: number,
    d: number,
    panels: number,
    vNorms: number,
    n: number,
    tile: number,
    chunkPanels: number,
    rowBase: number,
    heapD: number,
    heapI: number,
    kk: number,
    rowMax: number,
    rowArg: number,
    tBuf: number,
  ): void;
  gumbelBatch(
    ids: number,
    count: number,
    out: number,
    vecs: number,
    d: number,
    table: number,
    K: number,
    cdf: number,
    b: number,
    fLow: number,
    fRange: number,
    tangentAt: number,
    distCache: number,
    scaleCache: number,
    scratch: number,
  ): void;
  neighbourDistances(w: number, k: number, vecs: number, d: number, table: number, K: number, distCache: number, out: number): void;
  expSample(dist: number, n: number, scale: number, u: number, weights: number): number;
  temSelectMany(dist: number, cnt: number, halfEps: number, logCatch: number, us: number, m: number, prefix: number, out: number): void;
  expSampleMany(dist: number, n: number, scale: number, us: number, m: number, weights: number, prefix: number, out: number): void;
  temSelect(dist: number, cnt: number, halfEps: number, logCatch: number, u: number): number;
  weightSums(tile: number, n: number, scale: number, radius: number, sums: number, counts: number): void;
  weightBlock(tile: number, n: number, b: number, scale: number, radius: number, out: number): void;
  textVocabulary(units: number, starts: number, flags: number, n: number, recs: number, slots: number, slotCount: number): void;
  textLoad(bytes: number, n: number, units: number): number;
  textScanStart(starts: number, ends: number, kinds: number, cases: number, ids: number): void;
  textScan(text: number, from: number, to: number): void;
  textAddWord(start: number, end: number, id: number, pattern: number): void;
  textCount(): number;
  textFound(): number;
  textOutputLength(len: number, outIds: number, keep: number, phLen: number): number;
  textWrite(text: number, len: number, outIds: number, keep: number, ph: number, phLen: number, out: number): number;
}

let compiled: Promise<WebAssembly.Module> | null = null;

/** Where veil.wasm lives: beside the built JS (`dist/veil.wasm`). */
export function defaultWasmUrl(): URL {
  return new URL("../veil.wasm", import.meta.url);
}

/** Compiles veil.wasm once per realm. `source` overrides where it comes from. */
export function compileVeilWasm(source?: URL | string | BufferSource): Promise<WebAssembly.Module> {
  if (source && typeof source !== "string" && !(source instanceof URL)) return WebAssembly.compile(source);
  if (!source && compiled) return compiled;
  const url = source ? new URL(source, import.meta.url) : defaultWasmUrl();
  const p = (async () => {
    if (url.protocol === "file:") {
      // Hidden from bundlers: this branch only runs in Node, and a browser build must not pull in node:fs.
      const spec = "node:fs/promises";
      const fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ spec)) as typeof import("node:fs/promises");
      return WebAssembly.compile(await fs.readFile(url));
    }
    const res = await fetch(url);
    if (!res.ok) throw new Error(`fetching ${url.href} failed with HTTP ${res.status}`);
    return WebAssembly.compileStreaming ? WebAssembly.compileStreaming(res) : WebAssembly.compile(await res.arrayBuffer());
  })();
  if (!source) compiled = p;
  return p;
}

/** Instantiates with `fillRandom(ptr, len)` as the only source of random bytes. */
export async function instantiateVeilWasm(mod: WebAssembly.Module, fillRandom: (ptr: number, len: number) => void): Promise<VeilWasmExports> {
  const instance = await WebAssembly.instantiate(mod, {
    env: {
      fillRandom,
      abort(_msg: number, _file: number, line: number, col: number) {
        throw new Error(`veil.wasm aborted at ${line}:${col}`);
      },
    },
  });
  return instance.exports as unknown as VeilWasmExports;
}
