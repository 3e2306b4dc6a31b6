// geglu: out[r, k] = gelu_tanh(gate[r, k]) * up[r * up_stride + up_offset + k]      (k < n)
// The MLP uses up_stride = n, up_offset = 0; the PLE gate reads layer l's slice of the per-layer inputs
// pl [rows, L·P] with up_stride = L·P, up_offset = l·P.
// bindings (group 0):
//   0 uniform  p    { rows, n, up_stride, up_offset }
//   1 storage  gate f32 [rows, n]        read_write: entry point `in_place` overwrites it with the result
//   2 storage  up   f32 [rows, up_stride]
//   3 storage  out  f32 [rows, n]        (entry point `main` only; must not alias gate or up)
// Entry point `packed` (the fused gate/up product, [rows, 2n] with gate then up in each row): uses bindings 0 and 1
// only; gate[r * up_stride + k] = gelu_tanh(gate[r * up_stride + k]) * gate[r * up_stride + up_offset + k] with
// up_stride = 2n, up_offset = n (each thread reads the up half and writes only its own gate element).
// grid: up to MAX_GROUPS workgroups of WG threads, one element per thread per iteration (grid-stride loop).
// Needs lib/gelu.wgsl.
override WG: u32 = 256u;

struct Params { rows: u32, n: u32, up_stride: u32, up_offset: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> gate: array<f32>;
@group(0) @binding(2) var<storage, read> up: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn value(i: u32) -> f32 {
  let r = i / p.n;
  let k = i - r * p.n;
  return gelu_tanh(gate[i]) * up[r * p.up_stride + p.up_offset + k];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let total = p.rows * p.n;
  let stride = nwg.x * nwg.y * WG;
  for (var i = (wid.y * nwg.x + wid.x) * WG + lid; i < total; i += stride) { out[i] = value(i); }
}

@compute @workgroup_size(WG)
fn in_place(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let total = p.rows * p.n;
  let stride = nwg.x * nwg.y * WG;
  for (var i = (wid.y * nwg.x + wid.x) * WG + lid; i < total; i += stride) { gate[i] = value(i); }
}

@compute @workgroup_size(WG)
fn packed(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let total = p.rows * p.n;
  let stride = nwg.x * nwg.y * WG;
  for (var i = (wid.y * nwg.x + wid.x) * WG + lid; i < total; i += stride) {
    let r = i / p.n;
    let g = r * p.up_stride + (i - r * p.n);
    gate[g] = gelu_tanh(gate[g]) * gate[g + p.up_offset];
  }
}
