// scatterAdd: src [outer, m, inner] summed into out [outer, n, inner] at rows ids[j].
//
// WGSL has no f32 atomics, so the ids are bucketed first, deterministically, in three small
// passes over the m ids (each O(n * m) id comparisons, no inner dimension):
//   count:   offsets[r] = how many ids equal r                       (one thread per row r)
//   scan:    offsets becomes the exclusive prefix sum, n + 1 entries  (one thread)
//   bucket:  list[offsets[r] ..] = the j with ids[j] == r, ascending   (one thread per row r)
// then `sum` gives each output element one thread that adds its row's source rows in ascending
// j, the CPU backend's order: every source element is read once. Ids outside [0, n) are ignored.
// Defines: PASS (count, scan, bucket, sum), T (f32 or i32, for sum).

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
#if PASS == count
  if (idx >= p.n) { return; }
  var count = 0u;
  for (var j = 0u; j < p.m; j++) {
    if (ids[j] == i32(idx)) { count++; }
  }
  offsets[idx] = count;
#elif PASS == scan
  if (idx != 0u) { return; }
  var total = 0u;
  for (var r = 0u; r < p.n; r++) {
    let count = offsets[r];
    offsets[r] = total;
    total += count;
  }
  offsets[p.n] = total;
#elif PASS == bucket
  if (idx >= p.n) { return; }
  var at = offsets[idx];
  for (var j = 0u; j < p.m; j++) {
    if (ids[j] == i32(idx)) {
      list[at] = j;
      at++;
    }
  }
#else
  if (idx >= p.n_out) { return; }
  let k = idx % p.inner;
  let row = (idx / p.inner) % p.n;
  let o = idx / (p.inner * p.n);
  var acc = ${T}(0);
  for (var t = offsets[row]; t < offsets[row + 1u]; t++) {
    acc += src[(o * p.m + list[t]) * p.inner + k];
  }
  out[idx] = acc;
#endif
}
