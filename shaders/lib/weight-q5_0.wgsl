// Q5_0 weights: binding 3 = low 4 bits [block][row] vec4<u32>, binding 4 = 5th bits [block][row] u32
// (bit 8i + 2t + h for element 8t + 4h + i), binding 5 = f16 d [block][row], two per u32.
// w = d * q - 16 * d  (= d * (q - 16))
@group(0) @binding(3) var<storage, read> w_q: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> w_h: array<u32>;
@group(0) @binding(5) var<storage, read> w_d: array<u32>;
const W_HAS_OFFSET: bool = true;
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let i = g * R + row;
  let q = w_q[i];
  let qh = w_h[i];
  let d = half_of(w_d[i >> 1u], i);
  let b = -16.0 * d;
  return Gran(u2f(nib_lo(q.x) | xbits_lo(qh, X1)), u2f(nib_hi(q.x) | xbits_hi(qh >> 1u, X1)),
              u2f(nib_lo(q.y) | xbits_lo(qh >> 2u, X1)), u2f(nib_hi(q.y) | xbits_hi(qh >> 3u, X1)),
              u2f(nib_lo(q.z) | xbits_lo(qh >> 4u, X1)), u2f(nib_hi(q.z) | xbits_hi(qh >> 5u, X1)),
              u2f(nib_lo(q.w) | xbits_lo(qh >> 6u, X1)), u2f(nib_hi(q.w) | xbits_hi(qh >> 7u, X1)), d, d, b, b);
}
