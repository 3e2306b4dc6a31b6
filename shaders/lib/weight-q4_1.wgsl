// Q4_1 weights: binding 3 = 4-bit codes [block][row] vec4<u32>, binding 4 = (d, m) f16 pair [block][row] u32.
// w = d * q + m
@group(0) @binding(3) var<storage, read> w_q: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> w_dm: array<u32>;
const W_HAS_OFFSET: bool = true;
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let i = g * R + row;
  let q = w_q[i];
  let dm = unpack2x16float(w_dm[i]);
  return Gran(u2f(nib_lo(q.x)), u2f(nib_hi(q.x)), u2f(nib_lo(q.y)), u2f(nib_hi(q.y)),
              u2f(nib_lo(q.z)), u2f(nib_hi(q.z)), u2f(nib_lo(q.w)), u2f(nib_hi(q.w)), dm.x, dm.x, dm.y, dm.y);
}
