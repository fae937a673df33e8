// Fused non-causal attention forward for CPU-emulated adapters (llvmpipe, SwiftShader), on
// [heads, seq, headDim] tensors where `heads` counts batch * heads. Same outputs as attention.wgsl.
//
// On these adapters every memory load (storage, workgroup, or a dynamically indexed private array)
// costs about the same per lane, while arithmetic on values held in registers is cheap and a
// subgroup shuffle is a register permutation. So each lane owns RB query rows, and the keys are
// visited in blocks of SG (the subgroup size): lane l loads chunk c of key k0 + l once and
// shuffles it to the other lanes, so that one load feeds SG * RB dot-product steps instead of RB.
// Each lane then holds all SG scores of its rows, so the online softmax needs no cross-lane work.
// Scores accumulate as scalars (dot of vec4 chunks) rather than vec4 partial sums: a quarter of
// the accumulator state, about 20% faster on lavapipe.
//
// Workgroups are one subgroup (SG invocations) and wg.y is the head. Defines: HEAD_DIM4
// (headDim / 4, zero-padded by the host), SG (the adapter's fixed subgroup size, the workgroup
// size), RB, HAS_MASK. Masking and -Infinity handling are as in attention.wgsl.
enable subgroups;

const SG: u32 = WORKGROUP_SIZE;
#include "attention-common.wgsl"

// Scaled score plus mask for (row, key), BLOCKED for keys past the end and masked-out pairs.
fn scaledMasked(dotProduct: f32, row: u32, key: u32) -> f32 {
  return select(BLOCKED, masked(dotProduct * p.scale, row, key), key < p.seqK);
}

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let head = wg.y;
  // Lanes past the last row compute on a clamped row (every lane must take part in the shuffles)
  // and store nothing.
  var qBase: array<u32, RB>;
  var acc: array<array<vec4<f32>, D4>, RB>;
  var runMax: array<f32, RB>;
  var runSum: array<f32, RB>;
  for (var b = 0u; b < RB; b++) {
    qBase[b] = (head * p.seqQ + min((wg.x * RB + b) * SG + lane, p.seqQ - 1u)) * D4;
    for (var c = 0u; c < D4; c++) { acc[b][c] = vec4<f32>(0.0); }
    runMax[b] = BLOCKED;
    runSum[b] = 0.0;
  }
  for (var k0 = 0u; k0 < p.seqK; k0 += SG) {
    let kBase = (head * p.seqK + min(k0 + lane, p.seqK - 1u)) * D4;
    // Loop-local arrays are zeroed explicitly: without initialisers, some implementations keep the
    // previous iteration's values.
    var d: array<array<f32, SG>, RB>;
    for (var b = 0u; b < RB; b++) {
      for (var j = 0u; j < SG; j++) { d[b][j] = 0.0; }
    }
    for (var c = 0u; c < D4; c++) {
      let mine = k[kBase + c];
      var qc: array<vec4<f32>, RB>;
      for (var b = 0u; b < RB; b++) { qc[b] = q[qBase[b] + c]; }
      for (var j = 0u; j < SG; j++) {
        let kc = subgroupShuffle(mine, j);
        for (var b = 0u; b < RB; b++) { d[b][j] += dot(qc[b], kc); }
      }
    }
    var w: array<array<f32, SG>, RB>;
    var correction: array<f32, RB>;
    for (var b = 0u; b < RB; b++) {
      let row = (wg.x * RB + b) * SG + lane;
      var newMax = runMax[b];
      for (var j = 0u; j < SG; j++) {
        w[b][j] = scaledMasked(d[b][j], row, k0 + j);
        newMax = max(newMax, w[b][j]);
      }
      correction[b] = exp(runMax[b] - newMax);
      var sum = runSum[b] * correction[b];
      for (var j = 0u; j < SG; j++) {
        w[b][j] = select(exp(w[b][j] - newMax), 0.0, w[b][j] <= BLOCKED);
        sum += w[b][j];
      }
      runMax[b] = newMax;
      runSum[b] = sum;
    }
    for (var c = 0u; c < D4; c++) {
      let mine = v[kBase + c];
      var a: array<vec4<f32>, RB>;
      for (var b = 0u; b < RB; b++) { a[b] = acc[b][c] * correction[b]; }
      for (var j = 0u; j < SG; j++) {
        let vc = subgroupShuffle(mine, j);
        for (var b = 0u; b < RB; b++) { a[b] += w[b][j] * vc; }
      }
      for (var b = 0u; b < RB; b++) { acc[b][c] = a[b]; }
    }
  }
  for (var b = 0u; b < RB; b++) {
    let row = (wg.x * RB + b) * SG + lane;
    if (row < p.seqQ) {
      let inv = select(0.0, 1.0 / runSum[b], runSum[b] > 0.0);
      for (var c = 0u; c < D4; c++) { o[qBase[b] + c] = acc[b][c] * inv; }
      lse[head * p.seqQ + row] = select(0xff800000u, bitcast<u32>(runMax[b] + log(runSum[b])), runSum[b] > 0.0);
    }
  }
}
