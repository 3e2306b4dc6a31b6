// Q6_K weights (256-element super-blocks = 8 granules of two 16-element sub-blocks; g = granule in the row):
//   binding 3 = low 4 bits [granule][row] vec4<u32>, binding 4 = top 2 bits [granule][row] vec2<u32>
//   (word t >> 1 shifted by 2(t & 1): the placement codes_lo/hi read), binding 5 = int8 scales [g / 2][row] u32
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
  return Gran(u2f(codes_lo(q.x, qh.x, X6)), u2f(codes_hi(q.x, qh.x, X6)),
              u2f(codes_lo(q.y, qh.x >> 2u, X6)), u2f(codes_hi(q.y, qh.x >> 2u, X6)),
              u2f(codes_lo(q.z, qh.y, X6)), u2f(codes_hi(q.z, qh.y, X6)),
              u2f(codes_lo(q.w, qh.y >> 2u, X6)), u2f(codes_hi(q.w, qh.y >> 2u, X6)), a0, a1, -32.0 * a0, -32.0 * a1);
}
