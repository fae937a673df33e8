// SwiGLU on gateUp [rows, 2 * inter] (gate first), one thread per (row, j < inter).
// forward:  out = silu(g) * u, silu(g) = g * sigmoid(g)
// backward: d gate = dOut * u * s * (1 + g * (1 - s)), d up = dOut * g * s, with s = sigmoid(g).

struct Params {
  count: u32,
  inter: u32,
}

@group(0) @binding(0) var<storage, read> gateUp: array<f32>;
#if BACKWARD
@group(0) @binding(1) var<storage, read> dOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> dGateUp: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
#else
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
#endif

const WORKGROUP_SIZE: u32 = ${WORKGROUP_SIZE}u;

@compute @workgroup_size(WORKGROUP_SIZE)
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
