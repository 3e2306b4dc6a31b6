// Q6_K weights (256-element super-blocks = 8 granules of two 16-element sub-blocks; g = granule in the row):
//   binding 3 = low 4 bits [granule][row] vec4<u32>, binding 4 = top 2 bits [granule][row] vec2<u32>
//   (word t >> 1, bits 8i + 4(t & 1) + 2h for element 8t + 4h + i), binding 5 = int8 scales [g / 2][row] u32
//   (scales 2j, 2j+1 of granule j of a super-block in its word j >> 1), binding 6 = f16 d [g / 8][row], two per u32.
//   w = (d * sc) * q - 32 * (d * sc)  (= (d * sc) * (q - 32))
@group(0) @binding(3) var<storage, read> w_q: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> w_h: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read> w_sc: array<u32>;
@group(0) @binding(6) var<storage, read> w_d: array<u32>;
const W_HAS_OFFSET: bool = true;
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let i = g * R + row;
  let q = w_q[i];
  let qh = w_h[i];
  let di = (g >> 3u) * R + row;
  let d = half_of(w_d[di >> 1u], di);
  let sw = bitcast<i32>(w_sc[(g >> 1u) * R + row]);
  let sh = 16u * (g & 1u);
  let a0 = d * f32((sw << (24u - sh)) >> 24u);
  let a1 = d * f32((sw << (16u - sh)) >> 24u);
  return Gran(u2f(nib_lo(q.x) | xbits_lo(qh.x, X2)), u2f(nib_hi(q.x) | xbits_hi(qh.x >> 2u, X2)),
              u2f(nib_lo(q.y) | xbits_lo(qh.x >> 4u, X2)), u2f(nib_hi(q.y) | xbits_hi(qh.x >> 6u, X2)),
              u2f(nib_lo(q.z) | xbits_lo(qh.y, X2)), u2f(nib_hi(q.z) | xbits_hi(qh.y >> 2u, X2)),
              u2f(nib_lo(q.w) | xbits_lo(qh.y >> 4u, X2)), u2f(nib_hi(q.w) | xbits_hi(qh.y >> 6u, X2)), a0, a1, -32.0 * a0, -32.0 * a1);
}
