// The adjusted logit of token i and its sort key, for kernels that declare the bindings
//   sp: SampleParams (uniform), logits: array<f32>, counts: array<u32>, bias: array<f32>.
// Order (src/runtime/sampler.ts): softcap (when folded in; -inf stays -inf) -> NaN to -inf -> + bias -> penalties.

// A private variable, so that -inf is made at run time (a constant -inf is a shader-creation error).
var<private> neg_inf_bits: u32 = 0xff800000u;

fn adjusted_logit(i: u32) -> f32 {
  var v = logits[sp.logits_offset + i];
  // -inf is a masked token (shaders/token-mask.wgsl): the softcap keeps it, so the mask holds on every path.
  if ((sp.flags & FLAG_SOFTCAP) != 0u && bitcast<u32>(v) != neg_inf_bits) {
    v = sp.softcap * tanh(clamp(v / sp.softcap, -15.0, 15.0));
  }
  if ((bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u) { v = bitcast<f32>(neg_inf_bits); } // NaN -> -inf
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
