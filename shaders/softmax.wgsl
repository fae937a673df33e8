// Softmax and log-softmax over rows, and their gradients, one workgroup or one thread per row.
// Defines: LOG (log-softmax) and BACKWARD.
// Forward, with m = max(x) and s = sum(exp(x - m)): y = exp(x - m) / s, or (x - m) - log(s) under LOG.
// Backward of softmax:     dx = y * (dy - sum(dy * y))
// Backward of log-softmax: dx = dy - exp(y) * sum(dy)

#include "row-reduce.wgsl"

#if BACKWARD
fn processRow(row: u32, lane: u32, base: u32) {
  var partial = 0.0;
  for (var j = lane; j < p.cols; j += ROW_THREADS) {
#if LOG
    partial += dy[base + j];
#else
    partial += dy[base + j] * y[base + j];
#endif
  }
  let total = rowSum(partial, lane);
  for (var j = lane; j < p.cols; j += ROW_THREADS) {
#if LOG
    dx[base + j] = dy[base + j] - exp(y[base + j]) * total;
#else
    dx[base + j] = y[base + j] * (dy[base + j] - total);
#endif
  }
}
#else
#include "row-softmax.wgsl"

fn processRow(row: u32, lane: u32, base: u32) {
  let stats = rowExpSum(base, lane);
  let m = stats.max;
  let s = stats.sum;
#if LOG
  let logS = log(s);
#endif
  for (var j = lane; j < p.cols; j += ROW_THREADS) {
#if LOG
    y[base + j] = (x[base + j] - m) - logS;
#else
    y[base + j] = exp(x[base + j] - m) / s;
#endif
  }
}
#endif
