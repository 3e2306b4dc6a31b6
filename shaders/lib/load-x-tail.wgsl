// 4 activations at element e (row-relative column kk), zeros past K when TAIL (float weights, K % 32 != 0).
// Shared by matvec and matmul; each declares `override TAIL: bool` and a uniform `p` with field K.
fn xq(e: u32, kk: u32) -> vec4<f32> {
  if (TAIL && kk + 4u > p.K) {
    var v = vec4<f32>(0.0);
    for (var c = 0u; c < 4u; c++) {
      if (kk + c < p.K) { v[c] = load_x1(e + c); }
    }
    return v;
  }
  return load_x4(e);
}
