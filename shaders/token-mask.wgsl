// token-mask: logits[offset + i] = MASKED_LOGIT_BITS (a reserved NaN the samplers read as "never draw"; -inf or a
// NaN from the model itself stays a broken-weights error) for every token i whose bit is clear in the mask, in place.
// Bit i of the mask is bit (i % 32) of word i / 32 (XGrammar's bitmask layout). Tokens at or past vocab keep
// their logits (the caller only samples [0, vocab)).
// bindings (group 0):
//   0 uniform  p       { vocab, offset }
//   1 storage  mask    u32 [ceil(vocab / 32)]
//   2 storage  logits  f32 [offset + vocab], written as u32 bits so the NaN payload is stored exactly
// grid: ceil(vocab / WG) workgroups (x, y split when large).
override WG: u32 = 256u;

struct Params { vocab: u32, offset: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mask: array<u32>;
@group(0) @binding(2) var<storage, read_write> logits: array<u32>;

const MASKED_LOGIT_BITS: u32 = 0xffffffffu; // = shaders/lib/sample-common.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * WG + gid.x;
  if (i < p.vocab && ((mask[i >> 5u] >> (i & 31u)) & 1u) == 0u) {
    logits[p.offset + i] = MASKED_LOGIT_BITS;
  }
}
