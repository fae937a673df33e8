// Fused non-causal attention forward (FlashAttention style) on [heads, seq, headDim] tensors, where
// `heads` counts batch * heads. One workgroup per (row tile, head): wg.x is the tile, wg.y the head;
// one thread per query row. Key and value tiles are staged in workgroup memory, scores are folded
// into a running max / sum (online softmax), and the log-sum-exp of each query row is saved for the
// backward pass (attention-backward.wgsl).
//
// Defines: HEAD_DIM4 (headDim / 4; the host pads headDim to a multiple of 4 with zeros),
// ROWS (query rows and threads per workgroup), TILE (keys per staged tile), HAS_MASK.
// A score at or below BLOCKED (a mask of -Infinity) is excluded; a row with every score excluded
// gets output 0 and lse -Infinity. Infinities are only compared, never computed with, because
// WGSL implementations may assume finite arithmetic.

const D4: u32 = ${HEAD_DIM4}u;
const ROWS: u32 = ${ROWS}u;
const TILE: u32 = ${TILE}u;
const BLOCKED: f32 = -3.0e38;

struct Params {
  seqQ: u32,
  seqK: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
// [seqQ, seqK] additive mask; a 1-element placeholder without HAS_MASK.
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read_write> o: array<vec4<f32>>;
// Written as bits so that -Infinity (0xff800000) can be stored without computing an infinity.
@group(0) @binding(5) var<storage, read_write> lse: array<u32>;
@group(0) @binding(6) var<uniform> p: Params;

var<workgroup> kTile: array<vec4<f32>, TILE * D4>;
var<workgroup> vTile: array<vec4<f32>, TILE * D4>;

// Score plus mask, with excluded scores pinned to BLOCKED.
fn masked(score: f32, row: u32, key: u32) -> f32 {
#if HAS_MASK
  let m = mask[row * p.seqK + key];
  return select(score + m, BLOCKED, m <= BLOCKED);
#else
  return score;
#endif
}

@compute @workgroup_size(ROWS)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let head = wg.y;
  let row = wg.x * ROWS + t;
  // Threads past the last row still help stage tiles; they compute on a clamped row and store nothing.
  let r = min(row, p.seqQ - 1u);
  let qBase = (head * p.seqQ + r) * D4;
  var qs: array<vec4<f32>, D4>;
  var acc: array<vec4<f32>, D4>;
  for (var c = 0u; c < D4; c++) {
    qs[c] = q[qBase + c] * p.scale;
    acc[c] = vec4<f32>(0.0);
  }
  var runMax = BLOCKED;
  var runSum = 0.0;
  var scores: array<f32, TILE>;
  for (var k0 = 0u; k0 < p.seqK; k0 += TILE) {
    for (var e = t; e < TILE * D4; e += ROWS) {
      let src = (head * p.seqK + min(k0 + e / D4, p.seqK - 1u)) * D4 + e % D4;
      kTile[e] = k[src];
      vTile[e] = v[src];
    }
    workgroupBarrier();
    let n = min(TILE, p.seqK - k0);
    var tileMax = BLOCKED;
    for (var j = 0u; j < n; j++) {
      var d = vec4<f32>(0.0);
      for (var c = 0u; c < D4; c++) {
        d += qs[c] * kTile[j * D4 + c];
      }
      let s = masked(d.x + d.y + d.z + d.w, r, k0 + j);
      scores[j] = s;
      tileMax = max(tileMax, s);
    }
    let newMax = max(runMax, tileMax);
    let correction = exp(runMax - newMax);
    runSum *= correction;
    for (var c = 0u; c < D4; c++) {
      acc[c] *= correction;
    }
    for (var j = 0u; j < n; j++) {
      let w = select(exp(scores[j] - newMax), 0.0, scores[j] <= BLOCKED);
      runSum += w;
      for (var c = 0u; c < D4; c++) {
        acc[c] += w * vTile[j * D4 + c];
      }
    }
    runMax = newMax;
    workgroupBarrier();
  }
  if (row < p.seqQ) {
    let inv = select(0.0, 1.0 / runSum, runSum > 0.0);
    for (var c = 0u; c < D4; c++) {
      o[qBase + c] = acc[c] * inv;
    }
    lse[head * p.seqQ + row] = select(0xff800000u, bitcast<u32>(runMax + log(runSum)), runSum > 0.0);
  }
}
