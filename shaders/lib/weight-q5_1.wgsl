// Q5_1 weights: binding 3 = low 4 bits [block][row] vec4<u32>, binding 4 = 5th bits [block][row] u32 (as Q5_0),
// binding 5 = (d, m) f16 pair [block][row] u32.   w = d * q + m
@group(0) @binding(3) var<storage, read> w_q: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> w_h: array<u32>;
@group(0) @binding(5) var<storage, read> w_dm: array<u32>;
const W_HAS_OFFSET: bool = true;
fn fifth(qh: u32, c: u32) -> vec4<u32> { return ((vec4<u32>(qh) >> (SH_LO + vec4<u32>(c))) & vec4<u32>(1u)) << vec4<u32>(4u); }
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let i = g * R + row;
  let q = w_q[i];
  let qh = w_h[i];
  let dm = unpack2x16float(w_dm[i]);
  return Gran(u2f(nib_lo(q.x) | fifth(qh, 0u)), u2f(nib_hi(q.x) | fifth(qh, 1u)),
              u2f(nib_lo(q.y) | fifth(qh, 2u)), u2f(nib_hi(q.y) | fifth(qh, 3u)),
              u2f(nib_lo(q.z) | fifth(qh, 4u)), u2f(nib_hi(q.z) | fifth(qh, 5u)),
              u2f(nib_lo(q.w) | fifth(qh, 6u)), u2f(nib_hi(q.w) | fifth(qh, 7u)), dm.x, dm.x, dm.y, dm.y);
}
