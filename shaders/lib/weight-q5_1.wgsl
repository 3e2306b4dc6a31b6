// Q5_1 weights: binding 3 = low 4 bits [block][row] vec4<u32>, binding 4 = 5th bits [block][row] u32 (as Q5_0),
// binding 5 = (d, m) f16 pair [block][row] u32.   w = d * q + m
@group(0) @binding(3) var<storage, read> w_q: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> w_h: array<u32>;
@group(0) @binding(5) var<storage, read> w_dm: array<u32>;
const W_HAS_OFFSET: bool = true;
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let i = g * R + row;
  let q = w_q[i];
  let qh = w_h[i];
  let dm = unpack2x16float(w_dm[i]);
  return Gran(u2f(nib_lo(q.x) | xbits_lo(qh, X1)), u2f(nib_hi(q.x) | xbits_hi(qh >> 1u, X1)),
              u2f(nib_lo(q.y) | xbits_lo(qh >> 2u, X1)), u2f(nib_hi(q.y) | xbits_hi(qh >> 3u, X1)),
              u2f(nib_lo(q.z) | xbits_lo(qh >> 4u, X1)), u2f(nib_hi(q.z) | xbits_hi(qh >> 5u, X1)),
              u2f(nib_lo(q.w) | xbits_lo(qh >> 6u, X1)), u2f(nib_hi(q.w) | xbits_hi(qh >> 7u, X1)), dm.x, dm.x, dm.y, dm.y);
}
