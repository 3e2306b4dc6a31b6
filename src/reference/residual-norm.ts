// CPU reference of the residual-norm kernel: the composition of the unfused steps of spec §3.3
// (x += RMSNorm(branch; w); x *= layer scalar; next = RMSNorm(x; w_next)), row by row.
import { addInPlace, rmsNorm, scaleInPlace, type Vec } from './math.js';

export interface ResidualNormResult {
  readonly x: Vec; // [rows, n], the updated residual stream
  readonly next: Vec | undefined; // [rows, n], RMSNorm(x; nextWeight) when asked for
}

export function residualNorm(
  x: ArrayLike<number>, // [rows, n]
  branch: ArrayLike<number>, // [rows, n]
  weight: ArrayLike<number>, // [n]
  eps: number,
  rows: number,
  n: number,
  layerScalar = 1,
  nextWeight?: ArrayLike<number>, // [n]
  nextEps = eps,
): ResidualNormResult {
  const out = Float64Array.from(x as ArrayLike<number>);
  const next = nextWeight ? new Float64Array(rows * n) : undefined;
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * n, (r + 1) * n);
    addInPlace(row, rmsNorm(Array.prototype.slice.call(branch, r * n, (r + 1) * n) as number[], weight, eps));
    scaleInPlace(row, layerScalar);
    if (next) next.set(rmsNorm(row, nextWeight, nextEps), r * n);
  }
  return { x: out, next };
}
