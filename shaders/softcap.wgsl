// softcap: z = cap * tanh(z / cap), in place (final logit softcap; cap 0 never binds this kernel).
// bindings (group 0):
//   0 uniform  p  { n, cap }
//   1 storage  z  f32 [n]
// grid: ceil(n / WG) workgroups (x, y split when large).
override WG: u32 = 256u;

struct Params { n: u32, cap: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> z: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * WG + gid.x;
  // tanh(t) = 1 - 2 / (exp(2t) + 1), clamped so exp cannot overflow.
  // A NaN or infinite logit stays as it is (the clamp would turn +-inf into +-cap and hide a broken model).
  if (i < p.n && (bitcast<u32>(z[i]) & 0x7fffffffu) < 0x7f800000u) {
    let t = clamp(z[i] / p.cap, -15.0, 15.0);
    z[i] = p.cap * (1.0 - 2.0 / (exp(2.0 * t) + 1.0));
  }
}
