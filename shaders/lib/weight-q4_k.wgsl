// Q4_K weights (256-element super-blocks = 8 granules; g = granule index in the row, j = g % 8):
//   binding 3 = 4-bit codes [granule][row] vec4<u32>, binding 4 = (d, dmin) f16 pair [g / 8][row] u32,
//   binding 5 = scales/mins [g / 8][3][row] u32 (words 0-1 byte j: sc_j & 15 | (mn_j & 15) << 4;
//               word 2 nibble j: sc_j >> 4 | (mn_j >> 4) << 2).   w = (d * sc_j) * q - dmin * mn_j
@group(0) @binding(3) var<storage, read> w_q: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> w_dm: array<u32>;
@group(0) @binding(5) var<storage, read> w_sc: array<u32>;
const W_HAS_OFFSET: bool = true;  // kscale: lib/weight-kscale.wgsl
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let q = w_q[g * R + row];
  let ab = kscale(g, row, R);
  return Gran(u2f(nib_lo(q.x)), u2f(nib_hi(q.x)), u2f(nib_lo(q.y)), u2f(nib_hi(q.y)),
              u2f(nib_lo(q.z)), u2f(nib_hi(q.z)), u2f(nib_lo(q.w)), u2f(nib_hi(q.w)), ab.x, ab.x, ab.y, ab.y);
}
