// gather: x viewed as [outer, n, inner], ids (i32 [m]): out[o, j, k] = x[o, ids[j], k].
// One thread per output element; an id outside [0, n) yields 0 (a kernel cannot throw).
// Defines: T (element type).

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (idx >= p.n_out) { return; }
  let k = idx % p.inner;
  let j = (idx / p.inner) % p.m;
  let o = idx / (p.inner * p.m);
  let id = ids[j];
  if (id < 0 || u32(id) >= p.n) {
    out[idx] = ${T}(0);
    return;
  }
  out[idx] = x[(o * p.n + u32(id)) * p.inner + k];
}
