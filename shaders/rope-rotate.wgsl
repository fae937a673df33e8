// One element of rotate-half RoPE (sign 1) or of its adjoint (sign -1, the backward pass, exact for
// any tables), for a row of dim elements with half h = dim / 2:
// y_j = x_j cos_j - x_{j+h} sin_j, y_{j+h} = x_{j+h} cos_{j+h} + x_j sin_{j+h};
// dx_j = dy_j cos_j + dy_{j+h} sin_{j+h}, dx_{j+h} = dy_{j+h} cos_{j+h} - dy_j sin_j.
// x, c and sinOwn are element j's value, cosine and sine; partner and sinPartner those of its
// partner j +- h (ropePartner); low is j < h.

fn ropeElement(x: f32, partner: f32, c: f32, sinOwn: f32, sinPartner: f32, low: bool, sign: f32) -> f32 {
  let s = select(sinOwn, sinPartner, sign < 0.0);
  return x * c + select(sign, -sign, low) * partner * s;
}

// The column paired with column j in a row of dim (even) elements.
fn ropePartner(j: u32, dim: u32) -> u32 {
  let half = dim / 2u;
  return select(j - half, j + half, j < half);
}
