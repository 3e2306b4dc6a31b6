// F16 weights: binding 3 = [block][4 planes][row] vec4<u32>, 8 halves per plane (elements in order).
@group(0) @binding(3) var<storage, read> w_val: array<vec4<u32>>;
const W_HAS_OFFSET: bool = false;
fn f16x4(u: u32, v: u32) -> vec4<f32> { return vec4<f32>(unpack2x16float(u), unpack2x16float(v)); }
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let b = g * 4u * R + row;
  let v0 = w_val[b];
  let v1 = w_val[b + R];
  let v2 = w_val[b + 2u * R];
  let v3 = w_val[b + 3u * R];
  return Gran(f16x4(v0.x, v0.y), f16x4(v0.z, v0.w), f16x4(v1.x, v1.y), f16x4(v1.z, v1.w),
              f16x4(v2.x, v2.y), f16x4(v2.z, v2.w), f16x4(v3.x, v3.y), f16x4(v3.z, v3.w), 1.0, 1.0, 0.0, 0.0);
}
