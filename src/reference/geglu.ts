// CPU reference of the geglu kernel: gelu(gate) ⊙ up over [rows, n], with `up` read from a strided slice.
import { gelu, type Vec } from './math.js';

/** out[r, k] = gelu(gate[r, k]) * up[r * upRowStride + upOffset + k]; [rows, n] in f64. */
export function gegluRows(
  gate: ArrayLike<number>, // [rows, n]
  up: ArrayLike<number>, // [rows, upRowStride]
  rows: number,
  n: number,
  upRowStride = n,
  upOffset = 0,
): Vec {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < n; k++) out[r * n + k] = gelu(gate[r * n + k]) * up[r * upRowStride + upOffset + k];
  }
  return out;
}
