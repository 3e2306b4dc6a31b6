// Reference of kernels/embed-gather: out[r, :] = table[tokens[r], :] * scale, each product rounded to f32 once
// (the kernel's scale is an f32 uniform); ids outside the table give zero rows.
import type { DenseMatrix } from './math.js';

export function embedGatherRef(table: DenseMatrix, tokens: ArrayLike<number>, scale: number): Float32Array {
  const s = Math.fround(scale);
  const out = new Float32Array(tokens.length * table.cols);
  for (let r = 0; r < tokens.length; r++) {
    const t = tokens[r];
    if (t >= table.rows) continue;
    for (let k = 0; k < table.cols; k++) out[r * table.cols + k] = table.data[t * table.cols + k] * s;
  }
  return out;
}
