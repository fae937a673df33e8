// copyRegion, in place: dst viewed as [rows, dstRowLen] receives src [rows, srcRowLen] in the
// columns [colOffset, colOffset + srcRowLen) of every row. One thread per source element.
// Defines: T (element type).

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= p.n) { return; }
  let row = i / p.src_row_len;
  let col = i % p.src_row_len;
  dst[row * p.dst_row_len + p.col_offset + col] = src[i];
}
