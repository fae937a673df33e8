// Fused optimiser updates, in place, one thread per element (entry `adam`) or one workgroup per
// ids entry (entry `signSgdRows`). Scalars derived from the step (bias corrections) come from
// the host, computed in f64.
//
// adam, decoupled weight decay first, then the moments:
//   p <- p * decay;  m <- m + (1 - b1)(g - m);  v <- v + (1 - b2)(g^2 - v)
//   ATAN2 (AdamATan2, HRM spec section 6): p <- p - stepSize * atan2(m, sqrt(v) / vScale)
//   else (AdamW):                           p <- p - stepSize * m / (sqrt(v) * vScale + eps)
// with stepSize = lr / (1 - b1^t) and vScale = 1 / sqrt(1 - b2^t) for AdamW,
//      stepSize = lr / (1 - b1^t) and vScale = sqrt(1 - b2^t)     for AdamATan2.

#if SIGN_SGD
// Sparse SignSGD: for each distinct row r among ids, with g_r the sum of grads[j] over ids[j] = r:
// table_r <- table_r * decay - lr * sign(g_r). The workgroup of the first occurrence of a row
// does the update, so no atomics are needed and rows not in ids are untouched.

// Columns per thread: ceil(dim / WORKGROUP_SIZE).
const COLS_PER_THREAD: u32 = ${COLS_PER_THREAD}u;

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn signSgdRows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let j = wg.x + wg.y * groups.x;
  if (j >= p.count) {
    return;
  }
  let id = ids[j];
  if (id < 0 || u32(id) >= p.n) {
    return;
  }
  var sums: array<f32, COLS_PER_THREAD>;
  for (var other = 0u; other < p.count; other++) {
    if (ids[other] != id) {
      continue;
    }
    if (other < j) {
      // An earlier entry names the same row: its workgroup does the update.
      return;
    }
    for (var c = 0u; c < COLS_PER_THREAD; c++) {
      let col = t + c * WORKGROUP_SIZE;
      if (col < p.dim) {
        sums[c] += grads[other * p.dim + col];
      }
    }
  }
  for (var c = 0u; c < COLS_PER_THREAD; c++) {
    let col = t + c * WORKGROUP_SIZE;
    if (col < p.dim) {
      let i = u32(id) * p.dim + col;
      table[i] = table[i] * p.decay - p.lr * sign(sums[c]);
    }
  }
}
#else

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= p.size) {
    return;
  }
  let g = grad[i];
  let mi = m[i] + p.mRate * (g - m[i]);
  let vi = v[i] + p.vRate * (g * g - v[i]);
  m[i] = mi;
  v[i] = vi;
#if ATAN2
  let direction = atan2(mi, sqrt(vi) / p.vScale);
#else
  let direction = mi / (sqrt(vi) * p.vScale + p.eps);
#endif
  param[i] = param[i] * p.decay - p.stepSize * direction;
}
#endif
