// Fused attention backward on [heads, seq, headDim] tensors (heads counts batch * heads), without
// atomics, in three passes chosen by PASS:
// - `stats`: per query row i, stats[i] = (lse_i, delta_i) with delta_i = dO_i . O_i.
// - `kv`: one workgroup per (key tile, head), one thread per key row j, looping over staged query
//   tiles: p_ij = exp(s_ij - lse_i), dV_j += p_ij dO_i, dS_ij = p_ij (dO_i . V_j - delta_i),
//   dK_j += scale dS_ij Q_i.
// - `q`: one workgroup per (query tile, head), one thread per query row i, looping over staged key
//   tiles: dQ_i += scale dS_ij K_j.
// Scores s_ij = scale Q_i . K_j + mask_ij are recomputed as in attention.wgsl (same defines:
// HEAD_DIM4, ROWS threads per workgroup, TILE rows per staged tile, HAS_MASK); excluded scores
// and rows whose lse is -Infinity contribute nothing.

const D4: u32 = ${HEAD_DIM4}u;
const ROWS: u32 = ${ROWS}u;
const TILE: u32 = ${TILE}u;
const BLOCKED: f32 = -3.0e38;

struct Params {
  seqQ: u32,
  seqK: u32,
  scale: f32,
  // Rows of the stats pass (heads * seqQ).
  rows: u32,
}

#if PASS == stats
@group(0) @binding(0) var<storage, read> dO: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> o: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<vec2<f32>>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(ROWS)
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
@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read> dO: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> stats: array<vec2<f32>>;

// Probability of score s given the row's lse (0 for excluded scores and fully excluded rows).
fn probability(s: f32, rowLse: f32) -> f32 {
  return select(exp(s - rowLse), 0.0, s <= BLOCKED || rowLse <= BLOCKED);
}

fn masked(score: f32, row: u32, key: u32) -> f32 {
#if HAS_MASK
  let m = mask[row * p.seqK + key];
  return select(score + m, BLOCKED, m <= BLOCKED);
#else
  return score;
#endif
}

#if PASS == kv
@group(0) @binding(6) var<storage, read_write> dk: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dv: array<vec4<f32>>;
@group(0) @binding(8) var<uniform> p: Params;

var<workgroup> qTile: array<vec4<f32>, TILE * D4>;
var<workgroup> dOTile: array<vec4<f32>, TILE * D4>;
var<workgroup> statsTile: array<vec2<f32>, TILE>;

@compute @workgroup_size(ROWS)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let head = wg.y;
  let key = wg.x * ROWS + t;
  let kc = min(key, p.seqK - 1u);
  let kBase = (head * p.seqK + kc) * D4;
  var ks: array<vec4<f32>, D4>;
  var vs: array<vec4<f32>, D4>;
  var dkAcc: array<vec4<f32>, D4>;
  var dvAcc: array<vec4<f32>, D4>;
  for (var c = 0u; c < D4; c++) {
    ks[c] = k[kBase + c] * p.scale;
    vs[c] = v[kBase + c];
    dkAcc[c] = vec4<f32>(0.0);
    dvAcc[c] = vec4<f32>(0.0);
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
      var sd = vec4<f32>(0.0);
      var pd = vec4<f32>(0.0);
      for (var c = 0u; c < D4; c++) {
        sd += qTile[i * D4 + c] * ks[c];
        pd += dOTile[i * D4 + c] * vs[c];
      }
      let st = statsTile[i];
      let w = probability(masked(sd.x + sd.y + sd.z + sd.w, q0 + i, kc), st.x);
      let ds = w * (pd.x + pd.y + pd.z + pd.w - st.y);
      for (var c = 0u; c < D4; c++) {
        dvAcc[c] += w * dOTile[i * D4 + c];
        dkAcc[c] += ds * qTile[i * D4 + c];
      }
    }
    workgroupBarrier();
  }
  if (key < p.seqK) {
    for (var c = 0u; c < D4; c++) {
      dk[kBase + c] = dkAcc[c] * p.scale;
      dv[kBase + c] = dvAcc[c];
    }
  }
}
#else
@group(0) @binding(6) var<storage, read_write> dq: array<vec4<f32>>;
@group(0) @binding(7) var<uniform> p: Params;

var<workgroup> kTile: array<vec4<f32>, TILE * D4>;
var<workgroup> vTile: array<vec4<f32>, TILE * D4>;

@compute @workgroup_size(ROWS)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let head = wg.y;
  let row = wg.x * ROWS + t;
  let r = min(row, p.seqQ - 1u);
  let qBase = (head * p.seqQ + r) * D4;
  var qs: array<vec4<f32>, D4>;
  var dOs: array<vec4<f32>, D4>;
  var dqAcc: array<vec4<f32>, D4>;
  for (var c = 0u; c < D4; c++) {
    qs[c] = q[qBase + c] * p.scale;
    dOs[c] = dO[qBase + c];
    dqAcc[c] = vec4<f32>(0.0);
  }
  let st = stats[head * p.seqQ + r];
  for (var k0 = 0u; k0 < p.seqK; k0 += TILE) {
    for (var e = t; e < TILE * D4; e += ROWS) {
      let src = (head * p.seqK + min(k0 + e / D4, p.seqK - 1u)) * D4 + e % D4;
      kTile[e] = k[src];
      vTile[e] = v[src];
    }
    workgroupBarrier();
    let n = min(TILE, p.seqK - k0);
    for (var j = 0u; j < n; j++) {
      var sd = vec4<f32>(0.0);
      var pd = vec4<f32>(0.0);
      for (var c = 0u; c < D4; c++) {
        sd += qs[c] * kTile[j * D4 + c];
        pd += dOs[c] * vTile[j * D4 + c];
      }
      let w = probability(masked(sd.x + sd.y + sd.z + sd.w, r, k0 + j), st.x);
      let ds = w * (pd.x + pd.y + pd.z + pd.w - st.y);
      for (var c = 0u; c < D4; c++) {
        dqAcc[c] += ds * kTile[j * D4 + c];
      }
    }
    workgroupBarrier();
  }
  if (row < p.seqQ) {
    for (var c = 0u; c < D4; c++) {
      dq[qBase + c] = dqAcc[c] * p.scale;
    }
  }
}
#endif
#endif
