// Activation loads, aligned variant: x is read as vec4<f32> (element offsets and row strides multiples of 4).
@group(0) @binding(1) var<storage, read> x_vec: array<vec4<f32>>;
fn load_x4(e: u32) -> vec4<f32> { return x_vec[e >> 2u]; }
fn load_x1(e: u32) -> f32 { return x_vec[e >> 2u][e & 3u]; }
