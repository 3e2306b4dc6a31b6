// tanh-approximated GELU (gelu_pytorch_tanh): 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³).
// Written as x / (1 + exp(−2u)), which is the same function but never evaluates an overflowing tanh
// (exp → inf gives −0 for very negative x, exp → 0 gives x for large x).
fn gelu_tanh(x: f32) -> f32 {
  let u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return x / (1.0 + exp(-2.0 * u));
}
