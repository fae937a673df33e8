// Per-row cross entropy against i32 labels (HRM spec section 5), one workgroup or one thread per row
// (row-reduce.wgsl is prepended). Rows whose label is ignoreIndex get loss 0 and gradient 0.
// Defines: STABLEMAX (else softmax) and BACKWARD.
// softmax:   loss = lse(x) - x_l;            d/dx_j = exp(x_j - lse) - [j = l]
// stablemax: s(x) = x + 1 (x >= 0), 1 / (1 - x + 1e-30) (x < 0); S = sum_j s(x_j);
//            loss = -log(s(x_l) / S);        d/dx_j = s'(x_j) / S - [j = l] s'(x_l) / s(x_l)
// The backward pass scales d/dx by dLoss[row].

struct Params {
  rows: u32,
  cols: u32,
  ignoreIndex: i32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
#if BACKWARD
@group(0) @binding(2) var<storage, read> dLoss: array<f32>;
@group(0) @binding(3) var<storage, read_write> dLogits: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
#else
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
#endif

fn stablemaxS(v: f32) -> f32 {
  return select(1.0 / (1.0 - v + 1e-30), v + 1.0, v >= 0.0);
}

// ds/dx: 1 for x >= 0, s(x)^2 for x < 0.
fn stablemaxSlope(v: f32) -> f32 {
  let s = stablemaxS(v);
  return select(s * s, 1.0, v >= 0.0);
}

// The row's normaliser: lse for softmax, S for stablemax. Every thread of the workgroup calls it.
fn normaliser(base: u32, t: u32) -> f32 {
#if STABLEMAX
  var partial = 0.0;
  for (var j = t; j < p.cols; j += ROW_THREADS) {
    partial += stablemaxS(logits[base + j]);
  }
  return rowSum(partial, t);
#else
  var localMax = -3.4028234663852886e38;
  for (var j = t; j < p.cols; j += ROW_THREADS) {
    localMax = max(localMax, logits[base + j]);
  }
  let m = rowMax(localMax, t);
  var partial = 0.0;
  for (var j = t; j < p.cols; j += ROW_THREADS) {
    partial += exp(logits[base + j] - m);
  }
  return m + log(rowSum(partial, t));
#endif
}

@compute @workgroup_size(WORKGROUP_THREADS)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = rowIndex(wg, groups, lid);
  let t = rowLane(lid);
  if (row >= p.rows) {
    return;
  }
  let base = row * p.cols;
  let label = labels[row];
  // Out-of-range labels are treated as ignored rather than read out of bounds. The normaliser is
  // computed for every row so that all threads reach its barriers.
  let ignored = label == p.ignoreIndex || label < 0 || u32(label) >= p.cols;
  let norm = normaliser(base, t);
#if BACKWARD
  let scale = select(dLoss[row], 0.0, ignored);
  for (var j = t; j < p.cols; j += ROW_THREADS) {
    let v = logits[base + j];
    let own = select(0.0, 1.0, i32(j) == label);
#if STABLEMAX
    let slope = stablemaxSlope(v);
    dLogits[base + j] = select((slope / norm - own * slope / stablemaxS(v)) * scale, 0.0, ignored);
#else
    dLogits[base + j] = select((exp(v - norm) - own) * scale, 0.0, ignored);
#endif
  }
#else
  if (t == 0u) {
    if (ignored) {
      loss[row] = 0.0;
    } else {
      let v = logits[base + u32(label)];
#if STABLEMAX
      loss[row] = -log(stablemaxS(v) / norm);
#else
      loss[row] = norm - v;
#endif
    }
  }
#endif
}
