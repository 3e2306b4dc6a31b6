// RoPE angle helper: cos and sin of θ = f32(pos) · f (rounded to f32, like the references), computed to about
// 1e-7 without the platform sin/cos (WGSL only promises 2^-11 absolute on [-π, π], and SwiftShader is that coarse):
// θ is reduced by k = round(θ · 2/π) quarter turns (Cody–Waite, k · A and k · B exact for k < 2^17, i.e.
// θ < ~205,000: positions up to 128K), then short Taylor polynomials on |r| <= π/4 and the quadrant swap.
const ROPE_2_OVER_PI: f32 = 0.6366197723675814;
const ROPE_PIO2_A: f32 = 1.5625;                  // 25 / 16: 5 significant bits
const ROPE_PIO2_B: f32 = 0.00830078125;           // 68 / 2^13: 5 significant bits
const ROPE_PIO2_C: f32 = -4.454455103442001e-6;   // π/2 − A − B

fn rope_cos_sin(pos: u32, f: f32) -> vec2<f32> {
  let theta = f32(pos) * f;
  let k = round(theta * ROPE_2_OVER_PI);
  let r = ((theta - k * ROPE_PIO2_A) - k * ROPE_PIO2_B) - k * ROPE_PIO2_C;
  let r2 = r * r;
  let s = r + r * r2 * (-1.6666666666666666e-1 + r2 * (8.333333333333333e-3 + r2 * (-1.984126984126984e-4
          + r2 * 2.7557319223985893e-6)));
  let c = 1.0 + r2 * (-0.5 + r2 * (4.1666666666666664e-2 + r2 * (-1.388888888888889e-3
          + r2 * (2.48015873015873e-5 + r2 * -2.755731922398589e-7))));
  let quadrant = u32(k) & 3u;
  let swapped = select(vec2<f32>(c, s), vec2<f32>(-s, c), (quadrant & 1u) == 1u);
  return select(swapped, -swapped, quadrant >= 2u);
}
