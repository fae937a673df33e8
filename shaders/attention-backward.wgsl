// Fused attention backward on [heads, seq, headDim] tensors (heads counts batch * heads), without
// atomics, in three passes chosen by PASS:
// - `stats`: per query row i, stats[i] = (lse_i, delta_i) with delta_i = dO_i . O_i.
// - `kv`: one workgroup per (key tile, head), each thread handling RB key rows j, looping over
//   staged query tiles: p_ij = exp(s_ij - lse_i), dV_j += p_ij dO_i, dS_ij = p_ij (dO_i . V_j - delta_i),
//   dK_j += scale dS_ij Q_i.
// - `q`: one workgroup per (query tile, head), each thread handling RB query rows i, looping over
//   staged key tiles: dQ_i += scale dS_ij K_j.
// Scores s_ij = scale Q_i . K_j + mask_ij are recomputed as in attention.wgsl (same defines:
// attention-common.wgsl's, TILE rows per staged tile; ROWS threads per workgroup); excluded
// scores and rows whose lse is -Infinity contribute nothing. The stats pass has p.rows (heads * seqQ).

const ROWS: u32 = WORKGROUP_SIZE;

#if PASS == stats
const D4: u32 = ${HEAD_DIM4}u;

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * ROWS;
  if (i >= p.rows) {
    return;
  }
  var d = vec4<f32>(0.0);
  for (var c = 0u; c < D4; c++) {
    d += dO[i * D4 + c] * o[i * D4 + c];
  }
  stats[i] = vec2<f32>(lse[i], d.x + d.y + d.z + d.w);
}
#else
const TILE: u32 = ${TILE}u;
#include "attention-common.wgsl"

#if PASS == kv
var<workgroup> qTile: array<vec4<f32>, TILE * D4>;
var<workgroup> dOTile: array<vec4<f32>, TILE * D4>;
var<workgroup> statsTile: array<vec2<f32>, TILE>;

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let head = wg.y;
  var kcs: array<u32, RB>;
  var ks: array<array<vec4<f32>, D4>, RB>;
  var vs: array<array<vec4<f32>, D4>, RB>;
  var dkAcc: array<array<vec4<f32>, D4>, RB>;
  var dvAcc: array<array<vec4<f32>, D4>, RB>;
  for (var b = 0u; b < RB; b++) {
    kcs[b] = min((wg.x * RB + b) * ROWS + t, p.seqK - 1u);
    let kBase = (head * p.seqK + kcs[b]) * D4;
    for (var c = 0u; c < D4; c++) {
      ks[b][c] = k[kBase + c] * p.scale;
      vs[b][c] = v[kBase + c];
      dkAcc[b][c] = vec4<f32>(0.0);
      dvAcc[b][c] = vec4<f32>(0.0);
    }
  }
  for (var q0 = 0u; q0 < p.seqQ; q0 += TILE) {
    for (var e = t; e < TILE * D4; e += ROWS) {
      let src = (head * p.seqQ + min(q0 + e / D4, p.seqQ - 1u)) * D4 + e % D4;
      qTile[e] = q[src];
      dOTile[e] = dO[src];
    }
    for (var e = t; e < TILE; e += ROWS) {
      statsTile[e] = stats[head * p.seqQ + min(q0 + e, p.seqQ - 1u)];
    }
    workgroupBarrier();
    let n = min(TILE, p.seqQ - q0);
    for (var i = 0u; i < n; i++) {
      // Declared without initialisers, loop-local arrays are not reliably zeroed per iteration on
      // every implementation: zero them explicitly.
      var sd: array<vec4<f32>, RB>;
      var pd: array<vec4<f32>, RB>;
      for (var b = 0u; b < RB; b++) {
        sd[b] = vec4<f32>(0.0);
        pd[b] = vec4<f32>(0.0);
      }
      for (var c = 0u; c < D4; c++) {
        let qv = qTile[i * D4 + c];
        let dOv = dOTile[i * D4 + c];
        for (var b = 0u; b < RB; b++) {
          sd[b] += qv * ks[b][c];
          pd[b] += dOv * vs[b][c];
        }
      }
      let st = statsTile[i];
      var w: array<f32, RB>;
      var ds: array<f32, RB>;
      for (var b = 0u; b < RB; b++) {
        w[b] = probability(masked(sd[b].x + sd[b].y + sd[b].z + sd[b].w, q0 + i, kcs[b]), st.x);
        ds[b] = w[b] * (pd[b].x + pd[b].y + pd[b].z + pd[b].w - st.y);
      }
      for (var c = 0u; c < D4; c++) {
        let qv = qTile[i * D4 + c];
        let dOv = dOTile[i * D4 + c];
        for (var b = 0u; b < RB; b++) {
          dvAcc[b][c] += w[b] * dOv;
          dkAcc[b][c] += ds[b] * qv;
        }
      }
    }
    workgroupBarrier();
  }
  for (var b = 0u; b < RB; b++) {
    let key = (wg.x * RB + b) * ROWS + t;
    if (key < p.seqK) {
      let kBase = (head * p.seqK + key) * D4;
      for (var c = 0u; c < D4; c++) {
        dk[kBase + c] = dkAcc[b][c] * p.scale;
        dv[kBase + c] = dvAcc[b][c];
      }
    }
  }
}
#else
#include "attention-tiles.wgsl"

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let head = wg.y;
  var rs: array<u32, RB>;
  var qs: array<array<vec4<f32>, D4>, RB>;
  var dOs: array<array<vec4<f32>, D4>, RB>;
  var dqAcc: array<array<vec4<f32>, D4>, RB>;
  var st: array<vec2<f32>, RB>;
  for (var b = 0u; b < RB; b++) {
    rs[b] = min((wg.x * RB + b) * ROWS + t, p.seqQ - 1u);
    let qBase = (head * p.seqQ + rs[b]) * D4;
    for (var c = 0u; c < D4; c++) {
      qs[b][c] = q[qBase + c] * p.scale;
      dOs[b][c] = dO[qBase + c];
      dqAcc[b][c] = vec4<f32>(0.0);
    }
    st[b] = stats[head * p.seqQ + rs[b]];
  }
  for (var k0 = 0u; k0 < p.seqK; k0 += TILE) {
    stageKeyValues(head, k0, t);
    workgroupBarrier();
    let n = min(TILE, p.seqK - k0);
    for (var j = 0u; j < n; j++) {
      // Zeroed explicitly: see the kv pass.
      var sd: array<vec4<f32>, RB>;
      var pd: array<vec4<f32>, RB>;
      for (var b = 0u; b < RB; b++) {
        sd[b] = vec4<f32>(0.0);
        pd[b] = vec4<f32>(0.0);
      }
      for (var c = 0u; c < D4; c++) {
        let kv = kTile[j * D4 + c];
        let vv = vTile[j * D4 + c];
        for (var b = 0u; b < RB; b++) {
          sd[b] += qs[b][c] * kv;
          pd[b] += dOs[b][c] * vv;
        }
      }
      var ds: array<f32, RB>;
      for (var b = 0u; b < RB; b++) {
        let w = probability(masked(sd[b].x + sd[b].y + sd[b].z + sd[b].w, rs[b], k0 + j), st[b].x);
        ds[b] = w * (pd[b].x + pd[b].y + pd[b].z + pd[b].w - st[b].y);
      }
      for (var c = 0u; c < D4; c++) {
        let kv = kTile[j * D4 + c];
        for (var b = 0u; b < RB; b++) {
          dqAcc[b][c] += ds[b] * kv;
        }
      }
    }
    workgroupBarrier();
  }
  for (var b = 0u; b < RB; b++) {
    let row = (wg.x * RB + b) * ROWS + t;
    if (row < p.seqQ) {
      let qBase = (head * p.seqQ + row) * D4;
      for (var c = 0u; c < D4; c++) {
        dq[qBase + c] = dqAcc[b][c] * p.scale;
      }
    }
  }
}
#endif
#endif
