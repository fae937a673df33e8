// The frame of every row kernel: its entry point, which row and which lane of it an invocation
// handles, and row-wide sum and max. Two layouts, picked by the host per adapter:
// - one workgroup of ROW_THREADS threads per row, tree reductions in workgroup memory (real GPUs);
// - PER_THREAD: one thread per row, WORKGROUP_SIZE rows per workgroup, no barriers at all
//   (CPU-emulated adapters, where barriers cost more than the parallelism within a row gains).
// The including kernel's description has uniforms `rows` and `cols`; its body declares the function
// `processRow(row: u32, lane: u32, base: u32)` (base = row * p.cols). Column loops run
// `for (var j = lane; j < p.cols; j += ROW_THREADS)`; every lane of a row must call rowSum / rowMax.

#if PER_THREAD
const ROW_THREADS: u32 = 1u;

fn rowSum(v: f32, lane: u32) -> f32 {
  return v;
}

fn rowMax(v: f32, lane: u32) -> f32 {
  return v;
}
#else
const ROW_THREADS: u32 = WORKGROUP_SIZE;

var<workgroup> rowScratch: array<f32, ROW_THREADS>;

// Tree reduction over the row's lanes: the maximum, or else the sum (a constant at every call).
fn rowTree(v: f32, lane: u32, takeMax: bool) -> f32 {
  rowScratch[lane] = v;
  workgroupBarrier();
  for (var s = ROW_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lane < s) {
      let own = rowScratch[lane];
      let other = rowScratch[lane + s];
      rowScratch[lane] = select(own + other, max(own, other), takeMax);
    }
    workgroupBarrier();
  }
  let result = rowScratch[0];
  workgroupBarrier();
  return result;
}

fn rowSum(v: f32, lane: u32) -> f32 {
  return rowTree(v, lane, false);
}

fn rowMax(v: f32, lane: u32) -> f32 {
  return rowTree(v, lane, true);
}
#endif

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // The grid is folded into two dimensions (engine.grid).
  let group = wg.x + wg.y * groups.x;
#if PER_THREAD
  let row = group * WORKGROUP_SIZE + lid;
  let lane = 0u;
#else
  let row = group;
  let lane = lid;
#endif
  if (row >= p.rows) {
    return;
  }
  processRow(row, lane, row * p.cols);
}
