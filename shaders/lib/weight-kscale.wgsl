// Scale and offset of granule g of a Q4_K/Q5_K row: (d * sc_j, -dmin * mn_j), j = g % 8, from the super-block's
// (d, dmin) pair in w_dm and its 6-bit scales/mins in w_sc (both declared by the including decoder).
fn kscale(g: u32, row: u32, R: u32) -> vec2<f32> {
  let sb = g >> 3u;
  let j = g & 7u;
  let dm = unpack2x16float(w_dm[sb * R + row]);
  let s = sb * 3u * R + row;
  let lo = (w_sc[s + (j >> 2u) * R] >> (8u * (j & 3u))) & 0xffu;
  let hi = (w_sc[s + 2u * R] >> (4u * j)) & 15u;
  let sc = (lo & 15u) | ((hi & 3u) << 4u);
  let mn = (lo >> 4u) | ((hi >> 2u) << 4u);
  return vec2<f32>(dm.x * f32(i32(sc)), -(dm.y * f32(i32(mn))));
}
