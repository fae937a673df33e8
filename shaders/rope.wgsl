// Rotate-half RoPE on x [rows = batch * heads * seq, dim] with cos/sin [seq, dim], one thread per
// (row, j < dim / 2); sign -1 selects the adjoint (rope-rotate.wgsl has both formulas).
#include "rope-rotate.wgsl"

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= p.pairs) {
    return;
  }
  let half = p.dim / 2u;
  let row = i / half;
  let j = i % half;
  let off = row * p.dim + j;
  let t = (row % p.seq) * p.dim + j;
  let x1 = x[off];
  let x2 = x[off + half];
  let s1 = sinTable[t];
  let s2 = sinTable[t + half];
  y[off] = ropeElement(x1, x2, cosTable[t], s1, s2, true, p.sign);
  y[off + half] = ropeElement(x2, x1, cosTable[t + half], s2, s1, false, p.sign);
}
