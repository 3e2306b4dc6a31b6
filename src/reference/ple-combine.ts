// CPU reference of the ple-combine kernel (spec §3.2 steps 2-4 for rows of already gathered data):
// pl[t, l] = (RMSNorm(c[t, l]·H^(-1/2); w) + r[t, l]·√P)·2^(-1/2).
import { rmsNorm, type Vec } from './math.js';

export function pleCombine(
  c: ArrayLike<number>, // [rows, layers * width], W_plm·e
  r: ArrayLike<number>, // [rows, layers * width], raw E_ple rows
  normWeight: ArrayLike<number>, // [width]
  rows: number,
  layers: number,
  width: number,
  hiddenSize: number,
  eps: number,
): Vec {
  const out = new Float64Array(rows * layers * width);
  const cScale = 1 / Math.sqrt(hiddenSize);
  const rScale = Math.sqrt(width);
  for (let s = 0; s < rows * layers; s++) {
    const base = s * width;
    const slice = new Float64Array(width);
    for (let k = 0; k < width; k++) slice[k] = c[base + k] * cScale;
    const normed = rmsNorm(slice, normWeight, eps);
    for (let k = 0; k < width; k++) out[base + k] = (normed[k] + r[base + k] * rScale) * Math.SQRT1_2;
  }
  return out;
}
