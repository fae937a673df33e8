// Fused non-causal attention forward (FlashAttention style) on [heads, seq, headDim] tensors, where
// `heads` counts batch * heads. One workgroup per (row tile, head): wg.x is the tile, wg.y the head;
// each of the ROWS threads handles RB query rows (t, t + ROWS, ...), so that each key and value
// element read from the staged tiles serves RB rows (register blocking; the host picks RB).
// Key and value tiles are staged in workgroup memory, scores are folded into a running max / sum (online softmax), and the log-sum-exp of each query row is saved for the
// backward pass (attention-backward.wgsl).
//
// Defines: those of attention-common.wgsl, and TILE (keys per staged tile); the workgroup has
// ROWS threads. A row with every score excluded gets output 0 and lse -Infinity (lse is written as
// bits, so that -Infinity, 0xff800000, is stored without computing an infinity).

const ROWS: u32 = WORKGROUP_SIZE;
const TILE: u32 = ${TILE}u;
#include "attention-common.wgsl"
#include "attention-tiles.wgsl"

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let head = wg.y;
  var qs: array<array<vec4<f32>, D4>, RB>;
  var acc: array<array<vec4<f32>, D4>, RB>;
  // Threads past the last row still help stage tiles; they compute on a clamped row and store nothing.
  var rs: array<u32, RB>;
  var runMax: array<f32, RB>;
  var runSum: array<f32, RB>;
  for (var b = 0u; b < RB; b++) {
    rs[b] = min((wg.x * RB + b) * ROWS + t, p.seqQ - 1u);
    let qBase = (head * p.seqQ + rs[b]) * D4;
    for (var c = 0u; c < D4; c++) {
      qs[b][c] = q[qBase + c] * p.scale;
      acc[b][c] = vec4<f32>(0.0);
    }
    runMax[b] = BLOCKED;
    runSum[b] = 0.0;
  }
  var scores: array<array<f32, TILE>, RB>;
  for (var k0 = 0u; k0 < p.seqK; k0 += TILE) {
    stageKeyValues(head, k0, t);
    workgroupBarrier();
    let n = min(TILE, p.seqK - k0);
    var tileMax: array<f32, RB>;
    for (var b = 0u; b < RB; b++) { tileMax[b] = BLOCKED; }
    for (var j = 0u; j < n; j++) {
      // Loop-local arrays are zeroed explicitly: without initialisers, some implementations keep
      // the previous iteration's values.
      var d: array<vec4<f32>, RB>;
      for (var b = 0u; b < RB; b++) { d[b] = vec4<f32>(0.0); }
      for (var c = 0u; c < D4; c++) {
        let kv = kTile[j * D4 + c];
        for (var b = 0u; b < RB; b++) { d[b] += qs[b][c] * kv; }
      }
      for (var b = 0u; b < RB; b++) {
        let s = masked(d[b].x + d[b].y + d[b].z + d[b].w, rs[b], k0 + j);
        scores[b][j] = s;
        tileMax[b] = max(tileMax[b], s);
      }
    }
    var ws: array<f32, RB>;
    for (var b = 0u; b < RB; b++) {
      let newMax = max(runMax[b], tileMax[b]);
      let correction = exp(runMax[b] - newMax);
      runSum[b] *= correction;
      for (var c = 0u; c < D4; c++) { acc[b][c] *= correction; }
      runMax[b] = newMax;
    }
    for (var j = 0u; j < n; j++) {
      for (var b = 0u; b < RB; b++) {
        ws[b] = select(exp(scores[b][j] - runMax[b]), 0.0, scores[b][j] <= BLOCKED);
        runSum[b] += ws[b];
      }
      for (var c = 0u; c < D4; c++) {
        let vv = vTile[j * D4 + c];
        for (var b = 0u; b < RB; b++) { acc[b][c] += ws[b] * vv; }
      }
    }
    workgroupBarrier();
  }
  for (var b = 0u; b < RB; b++) {
    let row = (wg.x * RB + b) * ROWS + t;
    if (row < p.seqQ) {
      let qBase = (head * p.seqQ + row) * D4;
      let inv = select(0.0, 1.0 / runSum[b], runSum[b] > 0.0);
      for (var c = 0u; c < D4; c++) { o[qBase + c] = acc[b][c] * inv; }
      lse[head * p.seqQ + row] = select(0xff800000u, bitcast<u32>(runMax[b] + log(runSum[b])), runSum[b] > 0.0);
    }
  }
}
