// copyRegion, in place: dst viewed as [rows, dstRowLen] receives src [rows, srcRowLen] in the
// columns [colOffset, colOffset + srcRowLen) of every row. One thread per source element.
// Defines: WORKGROUP_SIZE, T (element type).

struct Params {
  n: u32, // rows * srcRowLen
  src_row_len: u32,
  dst_row_len: u32,
  col_offset: u32,
}

@group(0) @binding(0) var<storage, read> src: array<${T}>;
@group(0) @binding(1) var<storage, read_write> dst: array<${T}>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WORKGROUP_SIZE}u;
  if (i >= p.n) { return; }
  let row = i / p.src_row_len;
  let col = i % p.src_row_len;
  dst[row * p.dst_row_len + p.col_offset + col] = src[i];
}
