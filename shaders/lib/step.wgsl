// Per-submit values shared by every kernel that needs them, written with queue.writeBuffer before each submit.
// start_pos: absolute position of row 0 of this chunk (row r is at start_pos + r); step: decode step counter;
// seed: sampling seed; n_past: tokens already in the KV cache before this chunk (== start_pos).
struct Step { start_pos: u32, step: u32, seed: u32, n_past: u32 }
