// Activation loads, unaligned variant: x is read as f32 (any element offset and row stride).
@group(0) @binding(1) var<storage, read> x_f32: array<f32>;
fn load_x4(e: u32) -> vec4<f32> { return vec4<f32>(x_f32[e], x_f32[e + 1u], x_f32[e + 2u], x_f32[e + 3u]); }
fn load_x1(e: u32) -> f32 { return x_f32[e]; }
