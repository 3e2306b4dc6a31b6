// Q4_0 weights: binding 3 = 4-bit codes [block][row] vec4<u32> (repacked nibble order, weight-common.wgsl),
//               binding 4 = f16 d [block][row], two per u32.   w = d * q - 8 * d  (= d * (q - 8))
@group(0) @binding(3) var<storage, read> w_q: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> w_d: array<u32>;
const W_HAS_OFFSET: bool = true;
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let i = g * R + row;
  let q = w_q[i];
  let d = half_of(w_d[i >> 1u], i);
  let b = -8.0 * d;
  return Gran(u2f(nib_lo(q.x)), u2f(nib_hi(q.x)), u2f(nib_lo(q.y)), u2f(nib_hi(q.y)),
              u2f(nib_lo(q.z)), u2f(nib_hi(q.z)), u2f(nib_lo(q.w)), u2f(nib_hi(q.w)), d, d, b, b);
}
