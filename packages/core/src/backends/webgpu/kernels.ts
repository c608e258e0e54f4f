// The WebGPU distance kernels (WGSL). Two entry points over one vocabulary
// slice held dimension-major (vt[k * ns + j]), so that neighbouring invocations,
// which handle neighbouring words, read neighbouring addresses:
//
//   distances  squared distances of a block of query vectors to every word of the
//              slice (one invocation per (word, query)); used for the full
//              distance rows of M2 and of M3 beyond the neighbour table.
//   topk       per query, the KK smallest squared distances and their word ids,
//              plus the largest distance and where it is; used to build the
//              neighbour table and for M1's nearest words. One workgroup of WG
//              invocations per query: each keeps a private sorted list over a
//              strided part of the slice, then the lists are merged pairwise
//              through workgroup memory (log2 WG rounds).
//
// Distances are float32 in difference form, sum((q - v)^2). The host re-ranks
// every shortlist in float64 and certifies it (see ../shortlist.ts), so these
// kernels never decide an output on their own.

/** Invocations per workgroup in `topk`. Workgroup memory: (WG / 2) * KK * 8 bytes. */
export const TOPK_WG = 32;
/** The largest shortlist `topk` supports within WebGPU's 16 KiB of workgroup memory. */
export const MAX_KK = 128;

const common = /* wgsl */ `
struct Params {
  ns: u32,          // words in this slice
  d: u32,           // dimension
  sliceStart: u32,  // global id of the slice's first word
  selfBase: i32,    // >= 0: query q is word selfBase + q, excluded from its own list
  nq: u32,          // queries in this dispatch
  pad0: u32, pad1: u32, pad2: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> vt: array<f32>;
@group(0) @binding(2) var<storage, read> qs: array<f32>;

fn dist2(qb: u32, j: u32) -> f32 {
  var s = 0.0;
  for (var k = 0u; k < P.d; k++) {
    let t = qs[qb + k] - vt[k * P.ns + j];
    s += t * t;
  }
  return s;
}
`;

export const DISTANCES_WGSL = /* wgsl */ `${common}
@group(0) @binding(3) var<storage, read_write> outD: array<f32>;  // nq x ns

@compute @workgroup_size(64)
fn distances(@builtin(global_invocation_id) g: vec3u) {
  let j = g.x;
  let q = g.y;
  if (j >= P.ns || q >= P.nq) { return; }
  outD[q * P.ns + j] = dist2(q * P.d, j);
}
`;

/**
 * The top-K entry point, the same for every shortlist length: each invocation
 * keeps a sorted private list of KK over a stride of the slice, then the lists
 * are merged pairwise in workgroup memory (the declarations come from topkWgsl).
 */
const TOPK_ENTRY = /* wgsl */ `// (d, id) order: smaller distance first, ties to the lower id.
fn before(da: f32, ia: u32, db: f32, ib: u32) -> bool {
  return da < db || (da == db && ia < ib);
}

@compute @workgroup_size(${TOPK_WG})
fn topk(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let q = wg.x;
  var hd: array<f32, KK>;
  var hi: array<u32, KK>;
  for (var t = 0u; t < KK; t++) { hd[t] = 3.0e38; hi[t] = NONE; }
  var mx = -1.0;
  var ma = NONE;
  let live = q < P.nq;
  if (live) {
    let qb = q * P.d;
    var skip = NONE;
    if (P.selfBase >= 0) { skip = u32(P.selfBase) + q; }
    for (var j = lid; j < P.ns; j += WG) {
      let gj = P.sliceStart + j;
      if (gj == skip) { continue; }
      let s = dist2(qb, j);
      if (s > mx) { mx = s; ma = gj; }
      if (before(s, gj, hd[KK - 1u], hi[KK - 1u])) {
        var p = KK - 1u;
        loop {
          if (p == 0u) { break; }
          if (!before(s, gj, hd[p - 1u], hi[p - 1u])) { break; }
          hd[p] = hd[p - 1u];
          hi[p] = hi[p - 1u];
          p -= 1u;
        }
        hd[p] = s;
        hi[p] = gj;
      }
    }
  }
  // Pairwise merge: in the round with stride s, invocation lid + s hands its list
  // to lid (lid a multiple of 2s) through slot lid / 2s.
  for (var s = 1u; s < WG; s *= 2u) {
    let slot = lid / (2u * s);
    if (lid % (2u * s) == s) {
      for (var t = 0u; t < KK; t++) { xD[slot * KK + t] = hd[t]; xI[slot * KK + t] = hi[t]; }
      xM[slot] = mx;
      xA[slot] = ma;
    }
    workgroupBarrier();
    if (lid % (2u * s) == 0u) {
      var md: array<f32, KK>;
      var mi: array<u32, KK>;
      var a = 0u;
      var b = 0u;
      for (var t = 0u; t < KK; t++) {
        let bd = xD[slot * KK + b];
        let bi = xI[slot * KK + b];
        if (before(hd[a], hi[a], bd, bi)) { md[t] = hd[a]; mi[t] = hi[a]; a += 1u; }
        else { md[t] = bd; mi[t] = bi; b += 1u; }
      }
      hd = md;
      hi = mi;
      if (xM[slot] > mx || (xM[slot] == mx && xA[slot] < ma)) { mx = xM[slot]; ma = xA[slot]; }
    }
    workgroupBarrier();
  }
  if (lid == 0u && live) {
    for (var t = 0u; t < KK; t++) { outD[q * KK + t] = hd[t]; outI[q * KK + t] = hi[t]; }
    outM[q] = mx;
    outA[q] = ma;
  }
}
`;

/** The top-K source for a shortlist length `kk` (a compile-time constant: private arrays need one). */
export function topkWgsl(kk: number): string {
  if (!(Number.isInteger(kk) && kk >= 1 && kk <= MAX_KK)) throw new RangeError(`shortlist length ${kk} is outside [1, ${MAX_KK}]`);
  const half = TOPK_WG / 2;
  return /* wgsl */ `${common}
const KK: u32 = ${kk}u;
const WG: u32 = ${TOPK_WG}u;
const NONE: u32 = 0xffffffffu;
@group(0) @binding(3) var<storage, read_write> outD: array<f32>;  // nq x KK, ascending
@group(0) @binding(4) var<storage, read_write> outI: array<u32>;  // nq x KK, global ids (NONE = empty)
@group(0) @binding(5) var<storage, read_write> outM: array<f32>;  // nq: largest squared distance
@group(0) @binding(6) var<storage, read_write> outA: array<u32>;  // nq: its global id

var<workgroup> xD: array<f32, ${half * kk}>;
var<workgroup> xI: array<u32, ${half * kk}>;
var<workgroup> xM: array<f32, ${half}>;
var<workgroup> xA: array<u32, ${half}>;

${TOPK_ENTRY}`;
}
