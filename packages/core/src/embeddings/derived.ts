// What M8 and M9 need from a pack beyond its vectors (docs/mechanisms.md, "What
// each mechanism needs from the pack"): CusText's output groups and 1-Diffractor's
// word order. Both are greedy walks over the whole vocabulary with exact float64
// distances, too slow to run at load on a large pack (measured on the default
// pack in Node: the word order 18 s, the groups 11 s), so `veil pack` computes
// them and stores them in the pack's metadata (which the SHA-256 covers). A pack
// without them (an older pack, a pack built in memory) gets them computed here
// at first use, once per embedding.
//
// Stored compactly: the word order as only the steps the neighbour table cannot
// replay (where every table neighbour was visited: 8,632 of 50,000 on the default
// pack), since the reader can replay the rest from the table in a few
// milliseconds; the groups as one group number per word. Ids are uint16 when
// n <= 65,536, else uint32, little-endian, base64.
import { hasTable, wordDistance, type Embedding } from "./embedding.js";
import { EmbeddingFormatError } from "../errors.js";

/** Metadata key of the stored word order (M9): `{ scans }`, the ids the chain moved to where no table neighbour was left (see above). */
export const WORD_ORDER_KEY = "veil:word-order";
/** Metadata key of the stored CusText groups (M8): `{ groupSize, groupOf }`, one group number per word. */
export const CUSTEXT_GROUPS_KEY = "veil:custext-groups";
/** CusText's default group size K (docs/mechanisms.md, M8; the paper's default). */
export const DEFAULT_GROUP_SIZE = 20;

/** M9's word order: `order[i]` is the word at position i, `position[w]` the position of word w. */
export interface WordOrder {
  order: Int32Array;
  position: Int32Array;
}

/** M8's groups: word w's output set is `members.subarray(start[groupOf[w]], start[groupOf[w] + 1])`. */
export interface CustextGroups {
  groupSize: number;
  groupOf: Int32Array;
  start: Int32Array;
  members: Int32Array;
}

const orders = new WeakMap<Embedding, WordOrder>();
const groups = new WeakMap<Embedding, Map<number, CustextGroups>>();

/** The pack's word order: from its metadata when stored, else computed once (see `computeWordOrder`). */
export function wordOrder(e: Embedding): WordOrder {
  let o = orders.get(e);
  if (!o) {
    const stored = e.metadata[WORD_ORDER_KEY] as { scans?: unknown } | undefined;
    const order = stored && typeof stored.scans === "string" ? replayWordOrder(e, decodeIds(stored.scans, e.n, WORD_ORDER_KEY)) : computeWordOrder(e);
    const position = new Int32Array(e.n);
    order.forEach((w, i) => (position[w] = i));
    orders.set(e, (o = { order, position }));
  }
  return o;
}

/** The pack's CusText groups of size K: from its metadata when stored for that K, else computed once. */
export function custextGroups(e: Embedding, groupSize = DEFAULT_GROUP_SIZE): CustextGroups {
  let byK = groups.get(e);
  if (!byK) groups.set(e, (byK = new Map()));
  let g = byK.get(groupSize);
  if (!g) {
    const stored = e.metadata[CUSTEXT_GROUPS_KEY] as { groupSize?: unknown; groupOf?: unknown } | undefined;
    const groupOf =
      stored && stored.groupSize === groupSize && typeof stored.groupOf === "string"
        ? checkedLabels(decodeIds(stored.groupOf, e.n, CUSTEXT_GROUPS_KEY), e.n)
        : computeCustextGroups(e, groupSize);
    byK.set(groupSize, (g = groupsFromLabels(groupOf, groupSize)));
  }
  return g;
}

/**
 * The greedy chain of docs/mechanisms.md, M9 step 1: start at id 0; repeatedly
 * append the current word and move to its nearest unvisited word: its first
 * unvisited table neighbour when there is one (the table is sorted, so that is the
 * nearest), else whatever `scan` says. Building, storing and reading the order
 * differ only in `scan`.
 */
function walkChain(
  e: Embedding,
  scan: (cur: number, i: number, unvisited: UnvisitedSet) => number,
  onProgress?: (done: number, total: number) => void,
): Int32Array {
  const n = e.n;
  const unvisited = new UnvisitedSet(n);
  const order = new Int32Array(n);
  let cur = 0;
  for (let i = 0; i < n; i++) {
    order[i] = cur;
    unvisited.remove(cur);
    if (i < n - 1) cur = firstUnvisitedNeighbour(e, cur, unvisited) ?? scan(cur, i, unvisited);
    if (onProgress && (i & 1023) === 1023) onProgress(i + 1, n);
  }
  onProgress?.(n, n);
  return order;
}

/** The word order built: where no table neighbour is left, a scan of the unvisited words (exact distance, ties to the lower id). */
export function computeWordOrder(e: Embedding, onProgress?: (done: number, total: number) => void): Int32Array {
  return walkChain(e, (cur, _i, unvisited) => nearestAmong(e, cur, unvisited.ids, unvisited.size, 1)[0]!, onProgress);
}

/** The metadata value of a word order: the ids the chain reached by a scan, in order. */
export function encodeWordOrder(e: Embedding, order: Int32Array): { scans: string } {
  const scans: number[] = [];
  walkChain(e, (_cur, i) => (scans.push(order[i + 1]!), order[i + 1]!));
  return { scans: encodeIds(Int32Array.from(scans), e.n) };
}

/** The word order from its stored scan steps and the table; refuses steps that do not make a permutation. */
function replayWordOrder(e: Embedding, scans: Int32Array): Int32Array {
  let s = 0;
  const order = walkChain(e, (_cur, _i, unvisited) => {
    const next = scans[s++];
    if (next === undefined || !unvisited.has(next))
      throw new EmbeddingFormatError("bad-metadata", `${WORD_ORDER_KEY} does not replay to a permutation of the vocabulary`);
    return next;
  });
  if (s !== scans.length) throw new EmbeddingFormatError("bad-metadata", `${WORD_ORDER_KEY} has ${scans.length - s} steps too many`);
  return order;
}

/**
 * docs/mechanisms.md, M8 step 1: walk the vocabulary in frequency (id) order; each
 * word not yet in a group opens one with its K − 1 nearest ungrouped words. The
 * choice the spec leaves open: when fewer than K words are left ungrouped, they
 * join the last group formed (so every group has between K and 2K − 1 members and
 * none is too small to hide in). Returns each word's group number.
 */
export function computeCustextGroups(e: Embedding, K: number, onProgress?: (done: number, total: number) => void): Int32Array {
  const n = e.n;
  const groupOf = new Int32Array(n).fill(-1);
  const free = new UnvisitedSet(n);
  let g = 0;
  for (let w = 0; w < n; w++) {
    if (groupOf[w]! >= 0) continue;
    if (free.size < K && g > 0) {
      for (let j = 0; j < free.size; j++) groupOf[free.ids[j]!] = g - 1;
      break;
    }
    free.remove(w);
    groupOf[w] = g;
    for (const y of nearestUngrouped(e, w, free, K - 1)) {
      groupOf[y] = g;
      free.remove(y);
    }
    g++;
    if (onProgress && (g & 63) === 0) onProgress(n - free.size, n);
  }
  onProgress?.(n, n);
  return groupOf;
}

/** The k nearest words of `free` to w: from w's table row when enough of it is free, else a scan. */
function nearestUngrouped(e: Embedding, w: number, free: UnvisitedSet, k: number): Int32Array {
  const want = Math.min(k, free.size);
  if (hasTable(e)) {
    const row = e.neighbours.subarray(w * e.K, (w + 1) * e.K);
    const picked: number[] = [];
    for (const y of row) if (free.has(y) && picked.push(y) === want) break;
    // The table is the K nearest in order: its free members are the nearest free words when enough are free.
    if (picked.length === want) return Int32Array.from(picked);
  }
  return nearestAmong(e, w, free.ids, free.size, want);
}

function firstUnvisitedNeighbour(e: Embedding, w: number, unvisited: UnvisitedSet): number | undefined {
  if (!hasTable(e)) return undefined;
  for (let j = 0; j < e.K; j++) {
    const y = e.neighbours[w * e.K + j]!;
    if (unvisited.has(y)) return y;
  }
  return undefined;
}

/**
 * The k nearest of candidates[0..count) to w by exact float64 distance, ties to
 * the lower id: one pass keeping the k best, each sum abandoned once it passes
 * the k-th best (the scans dominate building the word order).
 */
function nearestAmong(e: Embedding, w: number, candidates: Int32Array, count: number, k: number): Int32Array {
  const { d, vectors: v } = e;
  const bestD = new Float64Array(k).fill(Infinity);
  const bestId = new Int32Array(k).fill(-1);
  const ow = w * d;
  for (let c = 0; c < count; c++) {
    const y = candidates[c]!;
    const oy = y * d;
    const worst = bestD[k - 1]!;
    let s = 0;
    for (let j = 0; j < d && s <= worst; j++) {
      const t = v[ow + j]! - v[oy + j]!;
      s += t * t;
    }
    if (s > worst || (s === worst && y > bestId[k - 1]!)) continue;
    let i = k - 1;
    for (; i > 0 && (bestD[i - 1]! > s || (bestD[i - 1] === s && bestId[i - 1]! > y)); i--) {
      bestD[i] = bestD[i - 1]!;
      bestId[i] = bestId[i - 1]!;
    }
    bestD[i] = s;
    bestId[i] = y;
  }
  return bestId;
}

/** A set of ids with O(1) removal and a dense list of the members (order not kept). */
class UnvisitedSet {
  readonly ids: Int32Array;
  private readonly at: Int32Array;
  size: number;
  constructor(n: number) {
    this.ids = Int32Array.from({ length: n }, (_, i) => i);
    this.at = Int32Array.from({ length: n }, (_, i) => i);
    this.size = n;
  }
  has(w: number): boolean {
    return this.at[w]! >= 0;
  }
  remove(w: number): void {
    const i = this.at[w]!;
    if (i < 0) return;
    const last = this.ids[--this.size]!;
    this.ids[i] = last;
    this.at[last] = i;
    this.at[w] = -1;
  }
}

/** Groups as member lists from each word's group number. */
function groupsFromLabels(groupOf: Int32Array, groupSize: number): CustextGroups {
  let count = 0;
  for (const g of groupOf) count = Math.max(count, g + 1);
  const start = new Int32Array(count + 1);
  for (const g of groupOf) start[g + 1]!++;
  for (let g = 0; g < count; g++) start[g + 1] = start[g + 1]! + start[g]!;
  const fill = start.slice(0, count);
  const members = new Int32Array(groupOf.length);
  groupOf.forEach((g, w) => (members[fill[g]!++] = w));
  return { groupSize, groupOf, start, members };
}

/** Base64 of little-endian ids below n, as the metadata stores them: uint16 when n <= 65,536, else uint32. */
export function encodeIds(ids: Int32Array, n: number): string {
  const width = n <= 65_536 ? 2 : 4;
  const bytes = new Uint8Array(ids.length * width);
  const view = new DataView(bytes.buffer);
  ids.forEach((x, i) => (width === 2 ? view.setUint16(i * 2, x, true) : view.setUint32(i * 4, x, true)));
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The ids `encodeIds` wrote for a vocabulary of n words; each must be below n. */
function decodeIds(b64: string, n: number, key: string): Int32Array {
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    throw new EmbeddingFormatError("bad-metadata", `${key} is not base64`);
  }
  const width = n <= 65_536 ? 2 : 4;
  if (bin.length % width !== 0) throw new EmbeddingFormatError("bad-metadata", `${key} is not a whole number of ids`);
  const out = new Int32Array(bin.length / width);
  for (let i = 0; i < out.length; i++) {
    const o = i * width;
    let x = bin.charCodeAt(o) | (bin.charCodeAt(o + 1) << 8);
    if (width === 4) x |= (bin.charCodeAt(o + 2) << 16) | (bin.charCodeAt(o + 3) << 24);
    if (!(x >= 0 && x < n)) throw new EmbeddingFormatError("bad-metadata", `${key} holds an id outside [0, ${n})`);
    out[i] = x;
  }
  return out;
}

/** Group numbers for every word, numbered 0, 1, ... without gaps. */
function checkedLabels(groupOf: Int32Array, n: number): Int32Array {
  if (groupOf.length !== n) throw new EmbeddingFormatError("bad-metadata", `${CUSTEXT_GROUPS_KEY} holds ${groupOf.length} labels for ${n} words`);
  const seen = new Uint8Array(n);
  let top = -1;
  for (const g of groupOf) ((seen[g] = 1), (top = Math.max(top, g)));
  for (let g = 0; g <= top; g++) if (!seen[g]) throw new EmbeddingFormatError("bad-metadata", `${CUSTEXT_GROUPS_KEY} skips group ${g}`);
  return groupOf;
}
