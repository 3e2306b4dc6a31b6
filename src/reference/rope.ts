// CPU reference of the rope kernels: RoPE of each head of [rows, heads * headDim] at position startPos + row,
// alone or after the per-head RMSNorm with weight (q_norm / k_norm). Composition of math.ts primitives.
import { rmsNormSlices, ropeInPlace, type Vec } from './math.js';

/** RoPE of every row (row r at startPos + r); returns a new array. */
export function ropeRows(x: ArrayLike<number>, rows: number, headDim: number, startPos: number, invFreq: Float32Array): Vec {
  const y = Float64Array.from(x as ArrayLike<number>);
  const width = y.length / rows;
  for (let r = 0; r < rows; r++) ropeInPlace(y.subarray(r * width, (r + 1) * width), headDim, startPos + r, invFreq);
  return y;
}

/** x_h = RoPE(RMSNorm(x_h; weight)) for every head of every row; returns a new array. */
export function normRopeRows(
  x: ArrayLike<number>,
  rows: number,
  headDim: number,
  startPos: number,
  invFreq: Float32Array,
  weight: ArrayLike<number>,
  eps: number,
): Vec {
  return ropeRows(rmsNormSlices(x, headDim, weight, eps), rows, headDim, startPos, invFreq);
}
