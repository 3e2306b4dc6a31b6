// Q8_0 weights: binding 3 = int8 codes [block][2 planes][row] vec4<u32> (elements in order),
//               binding 4 = f16 d [block][row], two per u32.   w = d * q
@group(0) @binding(3) var<storage, read> w_q: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> w_d: array<u32>;
const W_HAS_OFFSET: bool = false;
fn i8x4(w: u32) -> vec4<f32> {
  return vec4<f32>((vec4<i32>(bitcast<i32>(w)) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u));
}
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let i = g * R + row;
  let d = half_of(w_d[i >> 1u], i);
  let base = g * 2u * R + row;
  let q0 = w_q[base];
  let q1 = w_q[base + R];
  return Gran(i8x4(q0.x), i8x4(q0.y), i8x4(q0.z), i8x4(q0.w), i8x4(q1.x), i8x4(q1.y), i8x4(q1.z), i8x4(q1.w),
              d, d, 0.0, 0.0);
}
