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

// Codes with extra high bits (Q5: one, X5; Q6_K: two, X6) of the lo / hi elements of word q. h is the granule's
// extra-bit word shifted for word q (src/kernels/weight-layout.ts): it holds lo element i's bits at 8i + 4, hi
// element i's at 8i + 8 (i < 3) and hi element 3's at bit 0, so one mask and one or join them to the nibbles of
// four elements at once (as SCALED codes, or shifted down).
struct ExtraBits { lo: u32, hi: u32, top: u32, code: u32 }
const X5 = ExtraBits(0x10101010u, 0x01010100u, 0x1u, 0x1fu);
const X6 = ExtraBits(0x30303030u, 0x03030300u, 0x3u, 0x3fu);
fn codes_lo(q: u32, h: u32, x: ExtraBits) -> vec4<u32> {
  let w = (q & 0x0f0f0f0fu) | (h & x.lo);
  if (SCALED) { return vec4<u32>(w) & (vec4<u32>(x.code) << SH_LO); }
  return (vec4<u32>(w) >> SH_LO) & vec4<u32>(x.code);
}
fn codes_hi(q: u32, h: u32, x: ExtraBits) -> vec4<u32> {
  let w = (q & 0xf0f0f0f0u) | (h & x.hi);
  let top = (q >> 28u) | ((h & x.top) << 4u);  // not scaled (as nib_hi)
  if (SCALED) {
    let v = vec4<u32>(w) & (vec4<u32>(x.code << 4u) << SH_LO);
    return vec4<u32>(v.x, v.y, v.z, top);
  }
  let v = (vec4<u32>(w) >> SH_HI) & vec4<u32>(x.code);
  return vec4<u32>(v.x, v.y, v.z, top);
}

// f16 number `i` of an array of f16 pairs packed in u32 words (given the word holding it).
fn half_of(word: u32, i: u32) -> f32 { return unpack2x16float(word)[i & 1u]; }
