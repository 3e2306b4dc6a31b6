// Shared by the weight decoders (weight-*.wgsl): one decoded 32-element granule of a weight row.
// Element 4i + c of the granule is  a * g.ci[c] + b,  with (a, b) = (g.a0, g.b0) for i < 4 and (g.a1, g.b1) for
// i >= 4 (two scales: Q6_K's 16-element sub-blocks). Codes are small integers (exact in f32) or the weight itself
// (float types); a * code is exact, so a * code + b rounds once, like ggml's dequantization.
// When W_HAS_OFFSET is false, b0 = b1 = 0 and kernels skip the offset terms.
// Named members, not an array: SwiftShader keeps dynamically indexed function-scope arrays in memory.
// w_gran(g, row, R): granule g (elements 32g..32g+31) of row `row` of a part of R rows. Packed arrays are
// [block][plane][row] (src/kernels/weight-layout.ts): one block = one granule, or 8 for K-quants.
struct Gran {
  c0: vec4<f32>, c1: vec4<f32>, c2: vec4<f32>, c3: vec4<f32>,
  c4: vec4<f32>, c5: vec4<f32>, c6: vec4<f32>, c7: vec4<f32>,
  a0: f32, a1: f32, b0: f32, b1: f32,
}

const SH_LO = vec4<u32>(0u, 8u, 16u, 24u);
const SH_HI = vec4<u32>(4u, 12u, 20u, 28u);

// Small non-negative integers to f32 through i32 (one instruction on CPUs, unlike u32 -> f32).
fn u2f(v: vec4<u32>) -> vec4<f32> { return vec4<f32>(bitcast<vec4<i32>>(v)); }

// 4-bit codes of elements 8t..8t+3 (lo) and 8t+4..8t+7 (hi) from word t of a repacked nibble granule.
fn nib_lo(w: u32) -> vec4<u32> { return (vec4<u32>(w) >> SH_LO) & vec4<u32>(15u); }
fn nib_hi(w: u32) -> vec4<u32> { return (vec4<u32>(w) >> SH_HI) & vec4<u32>(15u); }

// f16 number `i` of an array of f16 pairs packed in u32 words (given the word holding it).
fn half_of(word: u32, i: u32) -> f32 { return unpack2x16float(word)[i & 1u]; }
