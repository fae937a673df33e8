// Shared by the row kernels (one workgroup of ROW_THREADS threads per row): workgroup-wide sum
// and max. Every thread of the workgroup must call them, with its local index.

const ROW_THREADS: u32 = ${ROW_THREADS}u;

var<workgroup> rowScratch: array<f32, ROW_THREADS>;

fn rowSum(v: f32, t: u32) -> f32 {
  rowScratch[t] = v;
  workgroupBarrier();
  for (var s = ROW_THREADS / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      rowScratch[t] += rowScratch[t + s];
    }
    workgroupBarrier();
  }
  let total = rowScratch[0];
  workgroupBarrier();
  return total;
}

fn rowMax(v: f32, t: u32) -> f32 {
  rowScratch[t] = v;
  workgroupBarrier();
  for (var s = ROW_THREADS / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      rowScratch[t] = max(rowScratch[t], rowScratch[t + s]);
    }
    workgroupBarrier();
  }
  let result = rowScratch[0];
  workgroupBarrier();
  return result;
}

// The row of this workgroup, from a grid folded into two dimensions (engine.grid(rows, 1)).
fn rowIndex(wg: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wg.x + wg.y * groups.x;
}
