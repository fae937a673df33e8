// Elementwise map: out[i] = EXPR over up to three inputs a, b, c, read at the same logical
// coordinate of the output. Covers fill (no input), cast, unary, binary and where, and strided
// copies (one input read through arbitrary strides and an offset).
//
// Defines: HAS_A, HAS_B, HAS_C (input count); A_T, B_T, C_T, OUT_T (WGSL element types, bool is
// u32); STRIDED (decompose the output index into coordinates and apply each input's strides;
// otherwise inputs are read at i + offset); EXPR (an expression in a, b, c and p.scalar); RANK
// (dimensions of the strided walk). Uniforms: p.shape holds the output shape, 4 dimensions per
// vector; p.strides[2 * k + q] the strides of input k over dimensions 4q..4q+3.

// Offsets of the three inputs for output element i.
fn input_offsets(i: u32) -> vec3<u32> {
#if STRIDED
  // A constant trip count lets the compiler unroll with constant indices into the uniforms; a
  // loop bounded by a uniform rank ran 4x slower on lavapipe.
  var rem = i;
  var off = p.offsets.xyz;
  for (var d = ${RANK} - 1; d > 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let size = p.shape[q][r];
    let next = rem / size;
    off += (rem - next * size) * vec3<u32>(p.strides[q][r], p.strides[2u + q][r], p.strides[4u + q][r]);
    rem = next;
  }
  // The outermost coordinate is what remains.
  return off + rem * vec3<u32>(p.strides[0][0], p.strides[2][0], p.strides[4][0]);
#else
  return vec3<u32>(i) + p.offsets.xyz;
#endif
}

// NaN test on the bits: compilers may assume no NaN and fold `x != x` to false.
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// NaN-propagating max/min (WGSL leaves max/min of NaN to the implementation).
fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a)) { return a; }
  if (is_nan(b)) { return b; }
  return max(a, b);
}

fn min_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a)) { return a; }
  if (is_nan(b)) { return b; }
  return min(a, b);
}

fn sigmoid(x: f32) -> f32 {
  // Split on sign so exp never overflows.
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

// A runtime NaN (a constant expression may not evaluate to NaN).
fn nan() -> f32 {
  let bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// Math.pow semantics: negative bases need an integer exponent, x^0 = 1 even for NaN.
fn pow_f32(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a == 0.0 && b < 0.0) { return 1.0 / abs(a); } // +Infinity
  if (a < 0.0) {
    if (floor(b) != b) { return nan(); }
    let m = pow(-a, b);
    return select(m, -m, (abs(b) % 2.0) == 1.0);
  }
  return pow(a, b);
}

// Integer power with wrapping multiplication; negative exponents truncate toward zero.
fn pow_i32(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var result = 1;
  var base = a;
  var e = u32(b);
  while (e > 0u) {
    if ((e & 1u) != 0u) { result *= base; }
    base *= base;
    e >>= 1u;
  }
  return result;
}

// f32 -> i32 truncating toward zero, saturating, NaN -> 0.
fn f32_to_i32(x: f32) -> i32 {
  if (is_nan(x)) { return 0; }
  if (x >= 2147483648.0) { return 2147483647; }
  if (x <= -2147483648.0) { return -2147483647 - 1; }
  return i32(x);
}

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= p.n) { return; }
  let offs = input_offsets(i);
#if HAS_A
  let a = in_a[offs.x];
#endif
#if HAS_B
  let b = in_b[offs.y];
#endif
#if HAS_C
  let c = in_c[offs.z];
#endif
  out[i] = ${EXPR};
}
