// The adjusted logit of token i and its sort key, for kernels that declare the bindings
//   sp: SampleParams (uniform), logits: array<f32>, counts: array<u32>, bias: array<f32>.
// Order (src/reference/sample.ts): a masked token (MASKED_LOGIT_BITS, written by shaders/token-mask.wgsl) -> -inf
// (never drawn) | non-finite raw logit -> +inf (and nothing else) | softcap (when folded in) -> +
// bias -> penalties. A NaN or infinite logit (broken weights) thus becomes the best candidate, and the final pass
// that reads the best key anyway writes NON_FINITE_TOKEN instead of a token: detection costs nothing per element.

// A private variable, so that +inf is made at run time (a constant inf is a shader-creation error).
var<private> pos_inf_bits: u32 = 0x7f800000u;

fn adjusted_logit(i: u32) -> f32 {
  var v = logits[sp.logits_offset + i];
  let bits = bitcast<u32>(v);
  if (bits == MASKED_LOGIT_BITS) { return -bitcast<f32>(pos_inf_bits); } // disallowed by the step's token mask
  if ((bits & 0x7fffffffu) >= 0x7f800000u) { return bitcast<f32>(pos_inf_bits); } // NaN, +-inf: broken weights
  if ((sp.flags & FLAG_SOFTCAP) != 0u) {
    v = sp.softcap * tanh(clamp(v / sp.softcap, -15.0, 15.0));
  }
  if ((sp.flags & FLAG_BIAS) != 0u) { v += bias[i]; }
  if ((sp.flags & FLAG_PENALTY) != 0u) {
    let c = counts[i];
    if (c > 0u) {
      v = select(v * sp.repetition, v / sp.repetition, v > 0.0);
      v -= f32(c) * sp.frequency + sp.presence;
    }
  }
  return v;
}

fn key_of(i: u32) -> u32 {
  var b = bitcast<u32>(adjusted_logit(i));
  if (b == 0x80000000u) { b = 0u; } // -0 -> +0: equal values share a key
  return bits_key(b);
}
