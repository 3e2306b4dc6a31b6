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
// top 2 bits of the 4 elements of group (t, h) from word qh (= qh word t >> 1), moved to bits 4-5
fn top2(qh: u32, c: u32) -> vec4<u32> { return ((vec4<u32>(qh) >> (SH_LO + vec4<u32>(c))) & vec4<u32>(3u)) << vec4<u32>(4u); }
// SCALED (weight-common.wgsl): codes at the bit positions of nib_lo/nib_hi, the top 2 bits (h = qh shifted so
// that they sit at bits 8i, 8i+1) just above each nibble; the top hi code is shifted down like nib_hi's.
const M2_LO = vec4<u32>(0x3u, 0x300u, 0x30000u, 0x3000000u);
fn q6_lo(w: u32, h: u32) -> vec4<f32> { return u2f(nib_lo(w) | ((vec4<u32>(h) & M2_LO) << vec4<u32>(4u))); }
fn q6_hi(w: u32, h: u32) -> vec4<f32> {
  let t = (vec4<u32>(h) & M2_LO) << vec4<u32>(8u, 8u, 8u, 0u);
  return u2f(nib_hi(w) | vec4<u32>(t.x, t.y, t.z, (t.w >> 20u)));
}
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
  if (SCALED) {
    return Gran(q6_lo(q.x, qh.x), q6_hi(q.x, qh.x >> 2u), q6_lo(q.y, qh.x >> 4u), q6_hi(q.y, qh.x >> 6u),
                q6_lo(q.z, qh.y), q6_hi(q.z, qh.y >> 2u), q6_lo(q.w, qh.y >> 4u), q6_hi(q.w, qh.y >> 6u), a0, a1, -32.0 * a0, -32.0 * a1);
  }
  return Gran(u2f(nib_lo(q.x) | top2(qh.x, 0u)), u2f(nib_hi(q.x) | top2(qh.x, 2u)),
              u2f(nib_lo(q.y) | top2(qh.x, 4u)), u2f(nib_hi(q.y) | top2(qh.x, 6u)),
              u2f(nib_lo(q.z) | top2(qh.y, 0u)), u2f(nib_hi(q.z) | top2(qh.y, 2u)),
              u2f(nib_lo(q.w) | top2(qh.y, 4u)), u2f(nib_hi(q.w) | top2(qh.y, 6u)), a0, a1, -32.0 * a0, -32.0 * a1);
}
