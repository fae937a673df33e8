// RMSNorm without weight, one workgroup or one thread per row.
// forward:  y = x * r, r = 1 / sqrt(mean(x^2) + eps), also saves r per row.
// backward: dx = r * (dy - y * mean(dy * y)), with y = x * r.

#include "row-reduce.wgsl"

#if PASS == forward

fn processRow(row: u32, lane: u32, base: u32) {
  var sumSq = 0.0;
  for (var j = lane; j < p.cols; j += ROW_THREADS) {
    let v = x[base + j];
    sumSq += v * v;
  }
  let r = 1.0 / sqrt(rowSum(sumSq, lane) / f32(p.cols) + p.eps);
  for (var j = lane; j < p.cols; j += ROW_THREADS) {
    y[base + j] = x[base + j] * r;
  }
  if (lane == 0u) {
    invRms[row] = r;
  }
}
#else

fn processRow(row: u32, lane: u32, base: u32) {
  let r = invRms[row];
  var dot = 0.0;
  for (var j = lane; j < p.cols; j += ROW_THREADS) {
    dot += dy[base + j] * x[base + j];
  }
  // mean(dy * y) = r * sum(dy * x) / cols
  let mean = r * rowSum(dot, lane) / f32(p.cols);
  for (var j = lane; j < p.cols; j += ROW_THREADS) {
    dx[base + j] = r * (dy[base + j] - x[base + j] * r * mean);
  }
}
#endif
