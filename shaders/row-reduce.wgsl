// Shared by the row kernels: which row and which lane of it an invocation handles, and row-wide
// sum and max. Two layouts, picked by the host per adapter:
// - one workgroup of ROW_THREADS threads per row, tree reductions in workgroup memory (real GPUs);
// - PER_THREAD: one thread per row, WORKGROUP_THREADS rows per workgroup, no barriers at all
//   (CPU-emulated adapters, where barriers cost more than the parallelism within a row gains).
// Column loops run `for (var j = lane; j < cols; j += ROW_THREADS)`; every lane of a row must call
// rowSum / rowMax.

#if PER_THREAD
const ROW_THREADS: u32 = 1u;
const WORKGROUP_THREADS: u32 = ${WORKGROUP_THREADS}u;

fn rowSum(v: f32, lane: u32) -> f32 {
  return v;
}

fn rowMax(v: f32, lane: u32) -> f32 {
  return v;
}

fn rowIndex(wg: vec3<u32>, groups: vec3<u32>, lid: u32) -> u32 {
  return (wg.x + wg.y * groups.x) * WORKGROUP_THREADS + lid;
}

fn rowLane(lid: u32) -> u32 {
  return 0u;
}
#else
const ROW_THREADS: u32 = ${WORKGROUP_THREADS}u;
const WORKGROUP_THREADS: u32 = ROW_THREADS;

var<workgroup> rowScratch: array<f32, ROW_THREADS>;

fn rowSum(v: f32, lane: u32) -> f32 {
  rowScratch[lane] = v;
  workgroupBarrier();
  for (var s = ROW_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lane < s) {
      rowScratch[lane] += rowScratch[lane + s];
    }
    workgroupBarrier();
  }
  let total = rowScratch[0];
  workgroupBarrier();
  return total;
}

fn rowMax(v: f32, lane: u32) -> f32 {
  rowScratch[lane] = v;
  workgroupBarrier();
  for (var s = ROW_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lane < s) {
      rowScratch[lane] = max(rowScratch[lane], rowScratch[lane + s]);
    }
    workgroupBarrier();
  }
  let result = rowScratch[0];
  workgroupBarrier();
  return result;
}

// The workgroup's row, from a grid folded into two dimensions (engine.grid(rows, 1)).
fn rowIndex(wg: vec3<u32>, groups: vec3<u32>, lid: u32) -> u32 {
  return wg.x + wg.y * groups.x;
}

fn rowLane(lid: u32) -> u32 {
  return lid;
}
#endif
