// scatterAdd: src [outer, m, inner] summed into out [outer, n, inner] at rows ids[j].
// WGSL has no f32 atomics, so each thread owns one output element and scans all m ids, adding
// the matching source rows in order j = 0, 1, ...: deterministic, and the same summation order
// as the CPU backend. Cost is O(outer * n * inner * m) id comparisons, fine for embedding
// gradients over small vocabularies; ids outside [0, n) are ignored.
// Defines: WORKGROUP_SIZE, T (f32 or i32).

struct Params {
  n_out: u32, // outer * n * inner
  n: u32,
  m: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> src: array<${T}>;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<${T}>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * ${WORKGROUP_SIZE}u;
  if (idx >= p.n_out) { return; }
  let k = idx % p.inner;
  let row = i32((idx / p.inner) % p.n);
  let o = idx / (p.inner * p.n);
  var acc = ${T}(0);
  for (var j = 0u; j < p.m; j++) {
    if (ids[j] == row) { acc += src[(o * p.m + j) * p.inner + k]; }
  }
  out[idx] = acc;
}
