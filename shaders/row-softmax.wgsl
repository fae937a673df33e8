// Softmax statistics of a row of the including kernel's input `x` (needs row-reduce.wgsl).

struct RowExpSum {
  max: f32,
  // sum_j exp(x_j - max)
  sum: f32,
}

// Every lane of the row calls it.
fn rowExpSum(base: u32, lane: u32) -> RowExpSum {
  var localMax = -3.4028234663852886e38;
  for (var j = lane; j < p.cols; j += ROW_THREADS) {
    localMax = max(localMax, x[base + j]);
  }
  let m = rowMax(localMax, lane);
  var partial = 0.0;
  for (var j = lane; j < p.cols; j += ROW_THREADS) {
    partial += exp(x[base + j] - m);
  }
  return RowExpSum(m, rowSum(partial, lane));
}
