// Per-row cross entropy against i32 labels (HRM spec section 5), one workgroup or one thread per row.
// Rows whose label is ignoreIndex get loss 0 and gradient 0.
// Defines: STABLEMAX (else softmax) and BACKWARD.
// softmax:   loss = lse(x) - x_l;            d/dx_j = exp(x_j - lse) - [j = l]
// stablemax: s(x) = x + 1 (x >= 0), 1 / (1 - x + 1e-30) (x < 0); S = sum_j s(x_j);
//            loss = -log(s(x_l) / S);        d/dx_j = s'(x_j) / S - [j = l] s'(x_l) / s(x_l)
// x holds the logits. The backward pass scales d/dx by dLoss[row].

#include "row-reduce.wgsl"

fn stablemaxS(v: f32) -> f32 {
  return select(1.0 / (1.0 - v + 1e-30), v + 1.0, v >= 0.0);
}

// ds/dx: 1 for x >= 0, s(x)^2 for x < 0.
fn stablemaxSlope(v: f32) -> f32 {
  let s = stablemaxS(v);
  return select(s * s, 1.0, v >= 0.0);
}

#if !STABLEMAX
#include "row-softmax.wgsl"
#endif

// The row's normaliser: lse for softmax, S for stablemax. Every lane of the row calls it.
fn normaliser(base: u32, lane: u32) -> f32 {
#if STABLEMAX
  var partial = 0.0;
  for (var j = lane; j < p.cols; j += ROW_THREADS) {
    partial += stablemaxS(x[base + j]);
  }
  return rowSum(partial, lane);
#else
  let stats = rowExpSum(base, lane);
  return stats.max + log(stats.sum);
#endif
}

fn processRow(row: u32, lane: u32, base: u32) {
  let label = labels[row];
  // Out-of-range labels are treated as ignored rather than read out of bounds. The normaliser is
  // computed for every row so that all threads reach its barriers.
  let ignored = label == p.ignoreIndex || label < 0 || u32(label) >= p.cols;
  let norm = normaliser(base, lane);
#if BACKWARD
  let scale = select(dLoss[row], 0.0, ignored);
  for (var j = lane; j < p.cols; j += ROW_THREADS) {
    let v = x[base + j];
    let own = select(0.0, 1.0, i32(j) == label);
#if STABLEMAX
    let slope = stablemaxSlope(v);
    dLogits[base + j] = select((slope / norm - own * slope / stablemaxS(v)) * scale, 0.0, ignored);
#else
    dLogits[base + j] = select((exp(v - norm) - own) * scale, 0.0, ignored);
#endif
  }
#else
  if (lane == 0u) {
    if (ignored) {
      loss[row] = 0.0;
    } else {
      let v = x[base + u32(label)];
#if STABLEMAX
      loss[row] = -log(stablemaxS(v) / norm);
#else
      loss[row] = norm - v;
#endif
    }
  }
#endif
}
