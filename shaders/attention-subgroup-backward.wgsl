// Fused attention backward for CPU-emulated adapters, after the `stats` pass of
// attention-backward.wgsl (stats[i] = (lse_i, dO_i . O_i)), laid out as attention-subgroup.wgsl
// explains: each lane owns RB rows (keys in `kv`, queries in `dq`) and the other side's rows are
// visited in blocks of SG, each lane loading one row's chunk and shuffling it to the others.
// - `kv`: recomputes p_ij = exp(s_ij - lse_i) and dS_ij = p_ij (dO_i . V_j - delta_i);
//   dV_j += p_ij dO_i, dK_j += scale dS_ij Q_i, and writes dS to ds ([heads, seqQ, DS_STRIDE],
//   zeros past seqK) so that dQ needs no second recomputation:
// - `dq`: dQ_i = scale sum_j dS_ij K_j.
// Defines: HEAD_DIM4, SG (a multiple of 4), RB, HAS_MASK, PASS. Excluded scores, rows whose lse
// is -Infinity and rows past the end (clamped copies, needed so that every lane takes part in the
// shuffles) contribute nothing.
enable subgroups;

// p.dsStride is the row stride of ds: seqK rounded up to a multiple of SG.
const SG: u32 = WORKGROUP_SIZE;

#if PASS == kv
#include "attention-common.wgsl"

// Probability of the pair (row, key) from its dot product and the row's lse; 0 for pairs past
// either end, masked-out pairs and fully excluded rows.
fn pairProbability(dotProduct: f32, row: u32, key: u32, rowLse: f32) -> f32 {
  return select(probability(masked(dotProduct * p.scale, row, key), rowLse), 0.0, row >= p.seqQ || key >= p.seqK);
}

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let head = wg.y;
  var kBase: array<u32, RB>;
  var dkAcc: array<array<vec4<f32>, D4>, RB>;
  var dvAcc: array<array<vec4<f32>, D4>, RB>;
  for (var b = 0u; b < RB; b++) {
    kBase[b] = (head * p.seqK + min((wg.x * RB + b) * SG + lane, p.seqK - 1u)) * D4;
    for (var c = 0u; c < D4; c++) {
      dkAcc[b][c] = vec4<f32>(0.0);
      dvAcc[b][c] = vec4<f32>(0.0);
    }
  }
  for (var i0 = 0u; i0 < p.seqQ; i0 += SG) {
    let qRow = head * p.seqQ + min(i0 + lane, p.seqQ - 1u);
    let qBase = qRow * D4;
    let st = stats[qRow];
    // Zeroed explicitly: see attention-subgroup.wgsl.
    var sd: array<array<f32, SG>, RB>;
    var pd: array<array<f32, SG>, RB>;
    for (var b = 0u; b < RB; b++) {
      for (var j = 0u; j < SG; j++) {
        sd[b][j] = 0.0;
        pd[b][j] = 0.0;
      }
    }
    for (var c = 0u; c < D4; c++) {
      let qMine = q[qBase + c];
      let dOMine = dO[qBase + c];
      var kc: array<vec4<f32>, RB>;
      var vc: array<vec4<f32>, RB>;
      for (var b = 0u; b < RB; b++) {
        kc[b] = k[kBase[b] + c];
        vc[b] = v[kBase[b] + c];
      }
      for (var j = 0u; j < SG; j++) {
        let qj = subgroupShuffle(qMine, j);
        let dOj = subgroupShuffle(dOMine, j);
        for (var b = 0u; b < RB; b++) {
          sd[b][j] += dot(kc[b], qj);
          pd[b][j] += dot(vc[b], dOj);
        }
      }
    }
    var w: array<array<f32, SG>, RB>;
    var dsb: array<array<f32, SG>, RB>;
    for (var j = 0u; j < SG; j++) {
      let stj = subgroupShuffle(st, j);
      for (var b = 0u; b < RB; b++) {
        let key = (wg.x * RB + b) * SG + lane;
        w[b][j] = pairProbability(sd[b][j], i0 + j, key, stj.x);
        dsb[b][j] = w[b][j] * (pd[b][j] - stj.y);
        if (i0 + j < p.seqQ && key < p.dsStride) {
          ds[(head * p.seqQ + i0 + j) * p.dsStride + key] = dsb[b][j];
        }
      }
    }
    for (var c = 0u; c < D4; c++) {
      let qMine = q[qBase + c];
      let dOMine = dO[qBase + c];
      var aK: array<vec4<f32>, RB>;
      var aV: array<vec4<f32>, RB>;
      for (var b = 0u; b < RB; b++) {
        aK[b] = dkAcc[b][c];
        aV[b] = dvAcc[b][c];
      }
      for (var j = 0u; j < SG; j++) {
        let qj = subgroupShuffle(qMine, j);
        let dOj = subgroupShuffle(dOMine, j);
        for (var b = 0u; b < RB; b++) {
          aK[b] += dsb[b][j] * qj;
          aV[b] += w[b][j] * dOj;
        }
      }
      for (var b = 0u; b < RB; b++) {
        dkAcc[b][c] = aK[b];
        dvAcc[b][c] = aV[b];
      }
    }
  }
  for (var b = 0u; b < RB; b++) {
    if ((wg.x * RB + b) * SG + lane < p.seqK) {
      for (var c = 0u; c < D4; c++) {
        dk[kBase[b] + c] = dkAcc[b][c] * p.scale;
        dv[kBase[b] + c] = dvAcc[b][c];
      }
    }
  }
}
#else
// ds is read as vec4s: SG / 4 per block of SG keys.
const D4: u32 = ${HEAD_DIM4}u;
const RB: u32 = ${RB}u;
const SG4: u32 = SG / 4u;

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let head = wg.y;
  var dsBase: array<u32, RB>;
  var dqAcc: array<array<vec4<f32>, D4>, RB>;
  for (var b = 0u; b < RB; b++) {
    dsBase[b] = (head * p.seqQ + min((wg.x * RB + b) * SG + lane, p.seqQ - 1u)) * (p.dsStride / 4u);
    for (var c = 0u; c < D4; c++) { dqAcc[b][c] = vec4<f32>(0.0); }
  }
  for (var k0 = 0u; k0 < p.seqK; k0 += SG) {
    let kBase = (head * p.seqK + min(k0 + lane, p.seqK - 1u)) * D4;
    var dsb: array<array<vec4<f32>, SG4>, RB>;
    for (var b = 0u; b < RB; b++) {
      for (var j4 = 0u; j4 < SG4; j4++) { dsb[b][j4] = ds[dsBase[b] + k0 / 4u + j4]; }
    }
    for (var c = 0u; c < D4; c++) {
      let kMine = k[kBase + c];
      var a: array<vec4<f32>, RB>;
      for (var b = 0u; b < RB; b++) { a[b] = dqAcc[b][c]; }
      for (var j = 0u; j < SG; j++) {
        let kj = subgroupShuffle(kMine, j);
        for (var b = 0u; b < RB; b++) { a[b] += dsb[b][j / 4u][j % 4u] * kj; }
      }
      for (var b = 0u; b < RB; b++) { dqAcc[b][c] = a[b]; }
    }
  }
  for (var b = 0u; b < RB; b++) {
    let row = (wg.x * RB + b) * SG + lane;
    if (row < p.seqQ) {
      let qBase = (head * p.seqQ + row) * D4;
      for (var c = 0u; c < D4; c++) { dq[qBase + c] = dqAcc[b][c] * p.scale; }
    }
  }
}
#endif
