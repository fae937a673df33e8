// Batched matmul: C[b] = op(A[b]) * op(B[b]), C is [M, N] row-major, op(A) is [M, K], op(B) is [K, N].
// A is stored [M, K] (or [K, M] when TRANS_A), B is stored [K, N] (or [N, K] when TRANS_B); batch
// item b starts at b * aBatchStride in A and b * bBatchStride in B (0 broadcasts one matrix).
//
// Two entry points here and a third variant in matmul-staged.wgsl, picked per adapter and shape
// class by a timed trial (kernels/matmul.ts):
// - `blocked`: no workgroup memory; each thread accumulates a 4x4 block of C in registers.
//   Suits CPU-emulated adapters (lavapipe), where barriers are expensive.
// - `tiled`: 64x64 tiles of C per 16x16 workgroup, 16-deep slices of A and B staged in workgroup
//   memory; each thread still owns a 4x4 block. Suits real GPUs.
//
// Bindings and Params are shared with matmul-staged.wgsl (kernels/matmul-kernels.ts). Defines: VEC4
// (blocked only) binds A, B, C as vec4 arrays (E = vec4<f32>); the host sets it only when M, N, K
// and both batch strides are multiples of 4, so every vec4 load is aligned and in bounds.

override TRANS_A: bool = false;
override TRANS_B: bool = false;

// ---------------------------------------------------------------- blocked

// Four consecutive elements starting at element i (i is a multiple of 4 under VEC4).
fn loadA4(i: u32) -> vec4<f32> {
#if VEC4
  return a[i >> 2u];
#else
  return vec4<f32>(a[i], a[i + 1u], a[i + 2u], a[i + 3u]);
#endif
}

fn loadB4(i: u32) -> vec4<f32> {
#if VEC4
  return b[i >> 2u];
#else
  return vec4<f32>(b[i], b[i + 1u], b[i + 2u], b[i + 3u]);
#endif
}

// Zeroes the lanes of a vector along k whose k index (kk + lane) is past the end.
fn maskAlongK(v: vec4<f32>, kk: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), v, vec4<u32>(kk) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(p.k));
}

// Zeroes a whole vector across m or n when its k index is past the end.
fn maskAcrossK(v: vec4<f32>, kIndex: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), v, kIndex < p.k);
}

// The 4x4 slices of op(A) (rows r0..r0+3) and op(B) (columns c0..c0+3) at depth kk..kk+3, as the
// transposed blocks At (At[r][i] = op(A)[r0 + r, kk + i]) and Bt (Bt[i][c] = op(B)[kk + i, c0 + c]).
// With `masked`, depths past K read as zero; rows past M and columns past N are clamped or read
// whatever lies there: they only feed outputs that are never stored.
struct Slices {
  at: mat4x4<f32>,
  bt: mat4x4<f32>,
}

fn slices(aBase: u32, bBase: u32, r0: u32, c0: u32, kk: u32, masked: bool) -> Slices {
  var s: Slices;
  let m = p.m;
  let n = p.n;
  let k = p.k;
  if (TRANS_A) {
    // A stored [K, M]: vectors run along m, one per depth.
    var cols: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
      let v = loadA4(aBase + min(kk + i, k - 1u) * m + r0);
      cols[i] = select(v, maskAcrossK(v, kk + i), masked);
    }
    s.at = transpose(mat4x4<f32>(cols[0], cols[1], cols[2], cols[3]));
  } else {
    // A stored [M, K]: vectors run along k, one per row.
    var rows: array<vec4<f32>, 4>;
    for (var r = 0u; r < 4u; r++) {
      let v = loadA4(aBase + min(r0 + r, m - 1u) * k + kk);
      rows[r] = select(v, maskAlongK(v, kk), masked);
    }
    s.at = mat4x4<f32>(rows[0], rows[1], rows[2], rows[3]);
  }
  if (TRANS_B) {
    // B stored [N, K]: vectors run along k, one per column.
    var cols: array<vec4<f32>, 4>;
    for (var j = 0u; j < 4u; j++) {
      let v = loadB4(bBase + min(c0 + j, n - 1u) * k + kk);
      cols[j] = select(v, maskAlongK(v, kk), masked);
    }
    s.bt = transpose(mat4x4<f32>(cols[0], cols[1], cols[2], cols[3]));
  } else {
    // B stored [K, N]: vectors run along n, one per depth.
    var rows: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
      let v = loadB4(bBase + min(kk + i, k - 1u) * n + c0);
      rows[i] = select(v, maskAcrossK(v, kk + i), masked);
    }
    s.bt = mat4x4<f32>(rows[0], rows[1], rows[2], rows[3]);
  }
  return s;
}

// Stores row r of the 4x4 block (columns c0..c0+3 of C row `row`), dropping columns past N.
fn storeRow(cBase: u32, row: u32, c0: u32, v: vec4<f32>) {
  let i = cBase + row * p.n + c0;
#if VEC4
  c[i >> 2u] = v;
#else
  for (var j = 0u; j < 4u; j++) {
    if (c0 + j < p.n) {
      c[i + j] = v[j];
    }
  }
#endif
}

@compute @workgroup_size(WORKGROUP_SIZE_X, WORKGROUP_SIZE_Y)
fn blocked(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r0 = gid.y * 4u;
  let c0 = gid.x * 4u;
  if (r0 >= p.m || c0 >= p.n) {
    return;
  }
  let item = gid.z + p.batchBase;
  let aBase = item * p.aBatchStride;
  let bBase = item * p.bBatchStride;
  // acc[r] is row r0 + r of the block: acc = Ct, and Ct += Bt * At (both transposed blocks).
  var acc = mat4x4<f32>();
  let kFull = p.k & ~3u;
  for (var kk = 0u; kk < kFull; kk += 4u) {
    let s = slices(aBase, bBase, r0, c0, kk, false);
    acc += s.bt * s.at;
  }
  if (kFull < p.k) {
    let s = slices(aBase, bBase, r0, c0, kFull, true);
    acc += s.bt * s.at;
  }
  let cBase = item * p.m * p.n;
  for (var r = 0u; r < 4u; r++) {
    if (r0 + r < p.m) {
      storeRow(cBase, r0 + r, c0, acc[r]);
    }
  }
}

// ---------------------------------------------------------------- tiled

#if !VEC4
const TILE: u32 = 64u;
const DEPTH: u32 = 16u;

// Slices staged k-major: tileA[kq * 16 + r / 4][r % 4] = op(A)[tileRow + r, k0 + kq].
var<workgroup> tileA: array<vec4<f32>, 256>;
var<workgroup> tileB: array<vec4<f32>, 256>;

fn elementA(aBase: u32, row: u32, kIndex: u32) -> f32 {
  if (row >= p.m || kIndex >= p.k) {
    return 0.0;
  }
  return a[aBase + select(row * p.k + kIndex, kIndex * p.m + row, TRANS_A)];
}

fn elementB(bBase: u32, kIndex: u32, col: u32) -> f32 {
  if (col >= p.n || kIndex >= p.k) {
    return 0.0;
  }
  return b[bBase + select(kIndex * p.n + col, col * p.k + kIndex, TRANS_B)];
}

@compute @workgroup_size(WORKGROUP_SIZE_X, WORKGROUP_SIZE_Y)
fn tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let tileRow = wg.y * TILE;
  let tileCol = wg.x * TILE;
  let item = wg.z + p.batchBase;
  let aBase = item * p.aBatchStride;
  let bBase = item * p.bBatchStride;
  var acc = mat4x4<f32>();
  for (var k0 = 0u; k0 < p.k; k0 += DEPTH) {
    // Each thread stages 4 elements of each slice; consecutive threads read consecutive addresses
    // along whichever axis is contiguous in memory.
    for (var e = 0u; e < 4u; e++) {
      let idx = t + e * WORKGROUP_SIZE;
      let rA = select(idx / DEPTH, idx % TILE, TRANS_A);
      let kA = select(idx % DEPTH, idx / TILE, TRANS_A);
      tileA[kA * 16u + rA / 4u][rA % 4u] = elementA(aBase, tileRow + rA, k0 + kA);
      let cB = select(idx % TILE, idx / DEPTH, TRANS_B);
      let kB = select(idx / TILE, idx % DEPTH, TRANS_B);
      tileB[kB * 16u + cB / 4u][cB % 4u] = elementB(bBase, k0 + kB, tileCol + cB);
    }
    workgroupBarrier();
    for (var kq = 0u; kq < DEPTH; kq++) {
      let av = tileA[kq * 16u + lid.y];
      let bv = tileB[kq * 16u + lid.x];
      acc += mat4x4<f32>(bv * av.x, bv * av.y, bv * av.z, bv * av.w);
    }
    workgroupBarrier();
  }
  let r0 = tileRow + lid.y * 4u;
  let c0 = tileCol + lid.x * 4u;
  let cBase = item * p.m * p.n;
  for (var r = 0u; r < 4u; r++) {
    if (r0 + r < p.m && c0 < p.n) {
      storeRow(cBase, r0 + r, c0, acc[r]);
    }
  }
}
#endif
