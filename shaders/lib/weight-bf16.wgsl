// BF16 weights: binding 3 = [block][4 planes][row] vec4<u32>, 8 bf16 per plane; bf16 = top half of an f32.
@group(0) @binding(3) var<storage, read> w_val: array<vec4<u32>>;
const W_HAS_OFFSET: bool = false;
// elements 0..3 and 4..7 of a plane (8 bf16 in order, two per word)
fn bf16_lo(v: vec4<u32>) -> vec4<f32> {
  return bitcast<vec4<f32>>(vec4<u32>(v.x << 16u, v.x & 0xffff0000u, v.y << 16u, v.y & 0xffff0000u));
}
fn bf16_hi(v: vec4<u32>) -> vec4<f32> {
  return bitcast<vec4<f32>>(vec4<u32>(v.z << 16u, v.z & 0xffff0000u, v.w << 16u, v.w & 0xffff0000u));
}
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let b = g * 4u * R + row;
  let v0 = w_val[b];
  let v1 = w_val[b + R];
  let v2 = w_val[b + 2u * R];
  let v3 = w_val[b + 3u * R];
  return Gran(bf16_lo(v0), bf16_hi(v0), bf16_lo(v1), bf16_hi(v1), bf16_lo(v2), bf16_hi(v2), bf16_lo(v3), bf16_hi(v3), 1.0, 1.0, 0.0, 0.0);
}
