// Q5_0 weights: binding 3 = low 4 bits [block][row] vec4<u32>, binding 4 = 5th bits [block][row] u32
// (word t's bits at 8i + 4 + t (lo element i), 8i + 8 + t (hi, i < 3), t (hi 3): codes_lo/hi), binding 5 = f16 d [block][row], two per u32.
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
  return Gran(u2f(codes_lo(q.x, qh, X5)), u2f(codes_hi(q.x, qh, X5)),
              u2f(codes_lo(q.y, qh >> 1u, X5)), u2f(codes_hi(q.y, qh >> 1u, X5)),
              u2f(codes_lo(q.z, qh >> 2u, X5)), u2f(codes_hi(q.z, qh >> 2u, X5)),
              u2f(codes_lo(q.w, qh >> 3u, X5)), u2f(codes_hi(q.w, qh >> 3u, X5)), d, d, b, b);
}
