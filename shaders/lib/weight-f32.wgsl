// F32 weights: binding 3 = values, [block][8 planes][row] vec4<f32> (32 elements per block, zero-padded).
@group(0) @binding(3) var<storage, read> w_val: array<vec4<f32>>;
const W_HAS_OFFSET: bool = false;
fn w_gran(g: u32, row: u32, R: u32) -> Gran {
  let b = g * 8u * R + row;
  return Gran(w_val[b], w_val[b + R], w_val[b + 2u * R], w_val[b + 3u * R],
              w_val[b + 4u * R], w_val[b + 5u * R], w_val[b + 6u * R], w_val[b + 7u * R], 1.0, 1.0, 0.0, 0.0);
}
