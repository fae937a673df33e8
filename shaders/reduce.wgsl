// Reductions of x viewed as [outer, reduce, inner] to out [outer, inner].
// Defines: OP (sum, prod, max, min, argmax, argmin); IN_T, ACC_T, OUT_T;
// TREE: one workgroup per output with a tree reduction in workgroup memory;
// otherwise one thread per output and chunk folding its chunk of the row sequentially, writing
// out [outer, chunks, inner] (chunks > 1 leaves a second, shorter reduction to the caller).

// A partial result: the value so far and, for arg reductions, where it was found.
struct State {
  v: ${ACC_T},
  i: u32,
}

fn load(o: u32, r: u32, k: u32) -> State {
  return State(${ACC_T}(x[(o * p.reduce + r) * p.inner + k]), r);
}

// NaN test on the bits: compilers may assume no NaN and fold `v != v` to false.
fn is_nan(v: ${ACC_T}) -> bool {
#if ACC_T == f32
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
#else
  return false;
#endif
}

// The fold, independent of the order partial results meet in: max/min propagate NaN; arg
// reductions prefer NaN, then the extreme value, then the smaller index.
fn combine(s: State, t: State) -> State {
#if OP == sum
  return State(s.v + t.v, 0u);
#elif OP == prod
  return State(s.v * t.v, 0u);
#elif OP == max
  if (!is_nan(s.v) && (is_nan(t.v) || t.v > s.v)) { return t; }
  return s;
#elif OP == min
  if (!is_nan(s.v) && (is_nan(t.v) || t.v < s.v)) { return t; }
  return s;
#else
#if OP == argmax
  let better = !is_nan(s.v) && (is_nan(t.v) || t.v > s.v);
#else
  let better = !is_nan(s.v) && (is_nan(t.v) || t.v < s.v);
#endif
  let same = t.v == s.v || (is_nan(t.v) && is_nan(s.v));
  if (better || (same && t.i < s.i)) { return t; }
  return s;
#endif
}

// Starting state: the identity for sum and prod; the first element r0 for the others (they are
// idempotent, so folding it again is harmless).
fn initial(o: u32, r0: u32, k: u32) -> State {
#if OP == sum
  return State(${ACC_T}(0), 0u);
#elif OP == prod
  return State(${ACC_T}(1), 0u);
#else
  return load(o, r0, k);
#endif
}

fn result(s: State) -> ${OUT_T} {
#if OP == argmax
  return i32(s.i);
#elif OP == argmin
  return i32(s.i);
#else
  return ${OUT_T}(s.v);
#endif
}

#if TREE
var<workgroup> partial: array<State, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let idx = wid.x + wid.y * nwg.x;
  if (idx >= p.n_out) { return; }
  let o = idx / p.inner;
  let k = idx % p.inner;
  var s = initial(o, 0u, k);
  for (var r = t; r < p.reduce; r += WORKGROUP_SIZE) {
    s = combine(s, load(o, r, k));
  }
  partial[t] = s;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { partial[t] = combine(partial[t], partial[t + stride]); }
    workgroupBarrier();
  }
  if (t == 0u) { out[idx] = result(partial[0]); }
}
#else
@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (idx >= p.n_out) { return; }
  let k = idx % p.inner;
  let c = (idx / p.inner) % p.chunks;
  let o = idx / (p.inner * p.chunks);
  let start = c * p.chunk;
  let end = min(start + p.chunk, p.reduce);
  var s = initial(o, start, k);
  for (var r = start; r < end; r++) {
    s = combine(s, load(o, r, k));
  }
  out[idx] = result(s);
}
#endif
