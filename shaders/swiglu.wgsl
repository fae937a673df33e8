// SwiGLU on gateUp [rows, 2 * inter] (gate first), one thread per (row, j < inter).
// forward:  out = silu(g) * u, silu(g) = g * sigmoid(g)
// backward: d gate = dOut * u * s * (1 + g * (1 - s)), d up = dOut * g * s, with s = sigmoid(g).

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= p.count) {
    return;
  }
  let row = i / p.inter;
  let j = i % p.inter;
  let gi = row * 2u * p.inter + j;
  let g = gateUp[gi];
  let u = gateUp[gi + p.inter];
  let s = 1.0 / (1.0 + exp(-g));
#if BACKWARD
  let d = dOut[i];
  dGateUp[gi] = d * u * s * (1.0 + g * (1.0 - s));
  dGateUp[gi + p.inter] = d * g * s;
#else
  out[i] = g * s * u;
#endif
}
