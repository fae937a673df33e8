// Softmax and log-softmax over rows, and their gradients, one workgroup or one thread per row
// (row-reduce.wgsl is prepended). Defines: LOG (log-softmax) and BACKWARD.
// Forward, with m = max(x) and s = sum(exp(x - m)): y = exp(x - m) / s, or (x - m) - log(s) under LOG.
// Backward of softmax:     dx = y * (dy - sum(dy * y))
// Backward of log-softmax: dx = dy - exp(y) * sum(dy)

struct Params {
  rows: u32,
  cols: u32,
}

#if BACKWARD
@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
#endif

@compute @workgroup_size(WORKGROUP_THREADS)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = rowIndex(wg, groups, lid);
  let t = rowLane(lid);
  if (row >= p.rows) {
    return;
  }
  let base = row * p.cols;
#if BACKWARD
  var partial = 0.0;
  for (var j = t; j < p.cols; j += ROW_THREADS) {
#if LOG
    partial += dy[base + j];
#else
    partial += dy[base + j] * y[base + j];
#endif
  }
  let total = rowSum(partial, t);
  for (var j = t; j < p.cols; j += ROW_THREADS) {
#if LOG
    dx[base + j] = dy[base + j] - exp(y[base + j]) * total;
#else
    dx[base + j] = y[base + j] * (dy[base + j] - total);
#endif
  }
#else
  var localMax = -3.4028234663852886e38;
  for (var j = t; j < p.cols; j += ROW_THREADS) {
    localMax = max(localMax, x[base + j]);
  }
  let m = rowMax(localMax, t);
  var partial = 0.0;
  for (var j = t; j < p.cols; j += ROW_THREADS) {
    partial += exp(x[base + j] - m);
  }
  let s = rowSum(partial, t);
#if LOG
  let logS = log(s);
#endif
  for (var j = t; j < p.cols; j += ROW_THREADS) {
#if LOG
    y[base + j] = (x[base + j] - m) - logS;
#else
    y[base + j] = exp(x[base + j] - m) / s;
#endif
  }
#endif
}
