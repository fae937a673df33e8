// Split heads: token-major rows x [batch, seq, GROUPS, heads, headDim] (GROUPS 3: q, k and v of a
// fused projection; 1: one tensor such as o or dO) -> per group the head-major rows
// [batch * heads, seq, 4 * d4] the fused attention kernels read, padding columns zero. With ROPE,
// groups 0 and 1 (q and k) are rotated by RoPE (tables [seq, headDim]) on the way.
// One thread per output vec4. Defines: GROUPS (1 or 3), ROPE.
#include "rope-rotate.wgsl"

const GROUPS: u32 = ${GROUPS}u;

// Column j of the head row starting at tokens[src], for token t.
fn element(src: u32, t: u32, j: u32, rotate: bool) -> f32 {
  if (j >= p.headDim) {
    return 0.0;
  }
#if ROPE
  if (rotate) {
    let partner = ropePartner(j, p.headDim);
    let at = t * p.headDim;
    return ropeElement(tokens[src + j], tokens[src + partner], cosTable[at + j], sinTable[at + j], sinTable[at + partner], j < partner, 1.0);
  }
#endif
  return tokens[src + j];
}

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= p.count) {
    return;
  }
  let col4 = i % p.d4;
  // Output row g * rows + (b * heads + h) * seq + t, rows = batch * heads * seq.
  let row = i / p.d4;
  let g = row / p.rows;
  let r = row % p.rows;
  let t = r % p.seq;
  let bh = r / p.seq;
  let src = ((((bh / p.heads) * p.seq + t) * GROUPS + g) * p.heads + bh % p.heads) * p.headDim;
  let j = 4u * col4;
  let rotate = g < 2u;
  let y = vec4<f32>(element(src, t, j, rotate), element(src, t, j + 1u, rotate), element(src, t, j + 2u, rotate), element(src, t, j + 3u, rotate));
  let at = r * p.d4 + col4;
#if GROUPS == 3
  if (g == 0u) {
    heads0[at] = y;
  } else if (g == 1u) {
    heads1[at] = y;
  } else {
    heads2[at] = y;
  }
#else
  heads0[at] = y;
#endif
}
