// Merge heads, the inverse of split-heads.wgsl: per group the head-major rows
// [batch * heads, seq, 4 * d4] (padding columns ignored) -> token-major rows
// x [batch, seq, GROUPS, heads, headDim]. With ROPE, groups 0 and 1 (the gradients of q and k) go
// through RoPE's adjoint. One thread per output element. Defines: GROUPS (1 or 3), ROPE.
#include "rope-rotate.wgsl"

const GROUPS: u32 = ${GROUPS}u;

fn headValue(g: u32, at: u32) -> f32 {
#if GROUPS == 3
  if (g == 0u) {
    return heads0[at];
  }
  if (g == 1u) {
    return heads1[at];
  }
  return heads2[at];
#else
  return heads0[at];
#endif
}

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= p.count) {
    return;
  }
  let j = i % p.headDim;
  // Output head ((b * seq + t) * GROUPS + g) * heads + h.
  let head = i / p.headDim;
  let h = head % p.heads;
  let g = (head / p.heads) % GROUPS;
  let bt = head / (p.heads * GROUPS);
  let t = bt % p.seq;
  let row = (((bt / p.seq) * p.heads + h) * p.seq + t) * 4u * p.d4;
  var y = headValue(g, row + j);
#if ROPE
  if (g < 2u) {
    let partner = ropePartner(j, p.headDim);
    let at = t * p.headDim;
    y = ropeElement(y, headValue(g, row + partner), cosTable[at + j], sinTable[at + j], sinTable[at + partner], j < partner, -1.0);
  }
#endif
  tokens[i] = y;
}
