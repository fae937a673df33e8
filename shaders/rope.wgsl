// Rotate-half RoPE on x [rows = batch * heads * seq, dim] with cos/sin [seq, dim], one thread per
// (row, j < dim / 2): y_j = x_j cos_j - x_{j+h} sin_j, y_{j+h} = x_{j+h} cos_{j+h} + x_j sin_{j+h}.
// sign -1 selects the adjoint (the backward pass, exact for any tables):
// dx_j = dy_j cos_j + dy_{j+h} sin_{j+h}, dx_{j+h} = dy_{j+h} cos_{j+h} - dy_j sin_j.

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= p.pairs) {
    return;
  }
  let half = p.dim / 2u;
  let row = i / half;
  let j = i % half;
  let off = row * p.dim + j;
  let t = (row % p.seq) * p.dim + j;
  let x1 = x[off];
  let x2 = x[off + half];
  let adjoint = p.sign < 0.0;
  let sinLow = select(sinTable[t], sinTable[t + half], adjoint);
  let sinHigh = select(sinTable[t + half], sinTable[t], adjoint);
  y[off] = x1 * cosTable[t] - p.sign * x2 * sinLow;
  y[off + half] = x2 * cosTable[t + half] + p.sign * x1 * sinHigh;
}
