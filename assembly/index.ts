// Veil's WebAssembly module: the distance kernel, top-K selection, the samplers
// and the per-word mechanism loops. Built with `--runtime stub`: memory is managed
// from JavaScript through alloc/free and raw pointers, never copied by glue code.

import { distTile, PANEL } from "./distances";
import { topkFeed } from "./topk";

export { resetRandomPool, skipUniforms, drawUniforms } from "./random";
export { laplaceNoise } from "./samplers";
export { packPanels, rowNorms, distTile, dist64, sqrtRow } from "./distances";
export { topkInit } from "./topk";
export { gumbelBatch, neighbourDistances, expSample, expSampleMany, temSelect, temSelectMany } from "./mechanisms";
export { weightSums, weightBlock } from "./weights";

export function alloc(size: usize): usize {
  return heap.alloc(size);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}

/**
 * Top-K search for one block of queries against the whole vocabulary: the tile of
 * squared distances is computed `chunkPanels` panels at a time (so it stays in
 * cache) and fed to the heaps. `tile` must hold nq * chunkPanels * 8 floats.
 */
export function knnBlock(
  q: usize,
  qNorms: usize,
  nq: i32,
  d: i32,
  panels: usize,
  vNorms: usize,
  n: i32,
  tile: usize,
  chunkPanels: i32,
  selfBase: i32,
  heapD: usize,
  heapI: usize,
  kk: i32,
  rowMax: usize,
  rowArg: usize,
  trackMax: bool,
): void {
  const nPanels = (n + PANEL - 1) / PANEL;
  const stride = chunkPanels * PANEL;
  for (let p0 = 0; p0 < nPanels; p0 += chunkPanels) {
    const p1 = min(p0 + chunkPanels, nPanels);
    distTile(q, qNorms, nq, d, panels, vNorms, p0, p1, tile, stride);
    const colBase = p0 * PANEL;
    const width = min((p1 - p0) * PANEL, n - colBase);
    topkFeed(tile, stride, nq, width, colBase, selfBase, heapD, heapI, kk, rowMax, rowArg, trackMax);
  }
}
