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

// SCALED (set only by matvec, for the 4-, 5- and 6-bit decoders; weight-shaders.ts SCALED_DECODERS):
// a code is left at its bit position, q * 2^s (exact in f32), which saves a shift per weight; the kernel
// multiplies each activation by 2^-s instead (X_SCALE_LO/HI: exact too), once per granule for all its rows.
override SCALED: bool = false;
const M_LO = vec4<u32>(0xfu, 0xf00u, 0xf0000u, 0xf000000u);
const X_SCALE_LO = vec4<f32>(1.0, 0x1p-8f, 0x1p-16f, 0x1p-24f);
const X_SCALE_HI = vec4<f32>(0x1p-4f, 0x1p-12f, 0x1p-20f, 1.0);

// Small non-negative integers to f32 through i32 (one instruction on CPUs, unlike u32 -> f32).
fn u2f(v: vec4<u32>) -> vec4<f32> { return vec4<f32>(bitcast<vec4<i32>>(v)); }

// 4-bit codes of elements 8t..8t+3 (lo) and 8t+4..8t+7 (hi) from word t of a repacked nibble granule.
// SCALED: the same codes times (1, 2^8, 2^16, 2^24) and (2^4, 2^12, 2^20, 1) (the top one shifted down: it
// would not fit in i32).
fn nib_lo(w: u32) -> vec4<u32> {
  if (SCALED) { return vec4<u32>(w) & M_LO; }
  return (vec4<u32>(w) >> SH_LO) & vec4<u32>(15u);
}
fn nib_hi(w: u32) -> vec4<u32> {
  if (SCALED) { return vec4<u32>(w & 0xf0u, w & 0xf000u, w & 0xf00000u, w >> 28u); }
  return (vec4<u32>(w) >> SH_HI) & vec4<u32>(15u);
}

// Extra code bits (Q5's 5th bit: X1; Q6_K's top 2 bits: X2) of the lo / hi elements of a word, from h = the
// extra-bit word shifted so that they sit at bits 8i..: placed just above the element's nib_lo / nib_hi nibble.
const X1 = vec4<u32>(0x1u, 0x100u, 0x10000u, 0x1000000u);
const X2 = vec4<u32>(0x3u, 0x300u, 0x30000u, 0x3000000u);
fn xbits_lo(h: u32, mask: vec4<u32>) -> vec4<u32> {
  if (SCALED) { return (vec4<u32>(h) & mask) << vec4<u32>(4u); }
  return ((vec4<u32>(h) >> SH_LO) & vec4<u32>(mask.x)) << vec4<u32>(4u);
}
fn xbits_hi(h: u32, mask: vec4<u32>) -> vec4<u32> {
  if (SCALED) {
    let t = (vec4<u32>(h) & mask) << vec4<u32>(8u, 8u, 8u, 0u);
    return vec4<u32>(t.x, t.y, t.z, t.w >> 20u);  // the top element is not scaled (nib_hi)
  }
  return ((vec4<u32>(h) >> SH_LO) & vec4<u32>(mask.x)) << vec4<u32>(4u);
}

// f16 number `i` of an array of f16 pairs packed in u32 words (given the word holding it).
fn half_of(word: u32, i: u32) -> f32 { return unpack2x16float(word)[i & 1u]; }
