// Veil's WebAssembly module: the distance kernel, top-K selection, the samplers,
// the per-word mechanism loops and the text pass for ASCII text. Built with
// `--runtime stub`: memory is managed from JavaScript through alloc/free and raw
// pointers, never copied by glue code.

import { distTile, PANEL } from "./distances";
import { topkFeed } from "./topk";

export { resetRandomPool, drawUniforms } from "./random";
export { laplaceNoise } from "./samplers";
export { packPanels, rowNorms, distTile, dist64, sqrtRow, int8ToF32InPlace } from "./distances";
export { topkInit } from "./topk";
export { gumbelBatch, neighbourDistances, expSample, expSampleMany, temSelect, temSelectMany } from "./mechanisms";
export { weightSums, weightBlock } from "./weights";
export { textVocabulary, textLoad, textScanStart, textScan, textAddWord, textCount, textFound, textOutputLength, textWrite } from "./text";

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
    const width = chunkTile(q, qNorms, nq, d, panels, vNorms, n, tile, chunkPanels, p0);
    const colBase = p0 * PANEL;
    topkFeed(tile, stride, nq, width, colBase, selfBase, heapD, heapI, kk, rowMax, rowArg, trackMax);
  }
}

/**
 * The symmetric top-K search of the neighbour table: the block of queries at vocabulary rows
 * [rowBase, rowBase + nq) (rowBase a multiple of 8, so its first panel starts at the block) against
 * the panels from its own on only. Each squared distance d(i, j), j >= rowBase, is computed once and
 * fed to both rows: to query i's heap as column j, and, for j past the block, to row j's heap as
 * column i (from the tile transposed into `tBuf`, f32[chunkPanels * 8 * nq]). A later row j gets
 * its columns below its own block from the earlier blocks this way, so after every block from 0
 * on has run, each row's heap holds what a full scan would give: the kernel computes d(i, j) and
 * d(j, i) bit for bit alike (the same products, added in the same order; each norm is the same
 * float32 value as query and as panel row). The heaps, row maxima and their ids are global
 * (row w at heapD + w * kk floats); `nqPadded` (a multiple of 4) is what the tile was given.
 */
export function knnBlockSym(
  q: usize,
  qNorms: usize,
  nq: i32,
  nqPadded: i32,
  d: i32,
  panels: usize,
  vNorms: usize,
  n: i32,
  tile: usize,
  chunkPanels: i32,
  rowBase: i32,
  heapD: usize,
  heapI: usize,
  kk: i32,
  rowMax: usize,
  rowArg: usize,
  tBuf: usize,
): void {
  const nPanels = (n + PANEL - 1) / PANEL;
  const stride = chunkPanels * PANEL;
  const rowOff = (<usize>rowBase) << 2;
  const heapOff = (<usize>rowBase * <usize>kk) << 2;
  for (let p0 = rowBase / PANEL; p0 < nPanels; p0 += chunkPanels) {
    const width = chunkTile(q, qNorms, nqPadded, d, panels, vNorms, n, tile, chunkPanels, p0);
    const colBase = p0 * PANEL;
    topkFeed(tile, stride, nq, width, colBase, rowBase, heapD + heapOff, heapI + heapOff, kk, rowMax + rowOff, rowArg + rowOff, true);
    // Columns past the block: their rows get this block's queries as columns.
    const c0 = max(colBase, rowBase + nq);
    const rows = colBase + width - c0;
    if (rows <= 0) continue;
    transpose(tile + ((<usize>(c0 - colBase)) << 2), stride, nq, rows, tBuf);
    const off = (<usize>c0 * <usize>kk) << 2;
    topkFeed(tBuf, nq, rows, nq, rowBase, -1, heapD + off, heapI + off, kk, rowMax + ((<usize>c0) << 2), rowArg + ((<usize>c0) << 2), true);
  }
}

/** The tile of panels [p0, p0 + chunkPanels) (fewer at the end) for `nq` queries; returns how many vocabulary columns it holds. */
function chunkTile(q: usize, qNorms: usize, nq: i32, d: i32, panels: usize, vNorms: usize, n: i32, tile: usize, chunkPanels: i32, p0: i32): i32 {
  const p1 = min(p0 + chunkPanels, (n + PANEL - 1) / PANEL);
  distTile(q, qNorms, nq, d, panels, vNorms, p0, p1, tile, chunkPanels * PANEL);
  return min((p1 - p0) * PANEL, n - p0 * PANEL);
}

/** dst[c * rows + r] = src[r * stride + c] for r < rows, c < cols: a tile's columns as rows. */
function transpose(src: usize, stride: i32, rows: i32, cols: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const s = src + ((<usize>r * <usize>stride) << 2);
    for (let c = 0; c < cols; c++) store<f32>(dst + ((<usize>c * <usize>rows + <usize>r) << 2), load<f32>(s + ((<usize>c) << 2)));
  }
}
