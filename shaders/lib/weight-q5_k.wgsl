// Q5_K weights (256-element super-blocks = 8 granules; g = granule index in the row, j = g % 8):
//   binding 3 = low 4 bits [granule][row] vec4<u32>, binding 4 = 5th bits [granule][row] u32,
//   binding 5 = (d, dmin) [g / 8][row] u32, binding 6 = scales/mins [g / 8][3][row] u32 (as Q4_K).
//   w = (d * sc_j) * q - dmin * mn_j
@group(0) @binding(3) var<storage, read> w_q: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> w_h: array<u32>;
@group(0) @binding(5) var<storage, read> w_dm: array<u32>;
@group(0) @binding(6) var<storage, read> w_sc: array<u32>;
const W_HAS_OFFSET: bool = true;  // kscale: lib/weight-kscale.wgsl
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let i = g * R + row;
  let q = w_q[i];
  let qh = w_h[i];
  let ab = kscale(g, row, R);
  return Gran(u2f(codes_lo(q.x, qh, X5)), u2f(codes_hi(q.x, qh, X5)),
              u2f(codes_lo(q.y, qh >> 1u, X5)), u2f(codes_hi(q.y, qh >> 1u, X5)),
              u2f(codes_lo(q.z, qh >> 2u, X5)), u2f(codes_hi(q.z, qh >> 2u, X5)),
              u2f(codes_lo(q.w, qh >> 3u, X5)), u2f(codes_hi(q.w, qh >> 3u, X5)), ab.x, ab.x, ab.y, ab.y);
}
