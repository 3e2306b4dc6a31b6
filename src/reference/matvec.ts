// Reference of kernels/matvec (and linear): y[m, :] = W x[m, :] (+ y0[m, :]) for m activation rows, in doubles,
// with W the exact f32 dequantization of the packed weight.
import { matVec, type DenseMatrix } from './math.js';

/** x: [m, w.cols]; y0 (accumulate): [m, w.rows]. Returns [m, w.rows]. */
export function matvecRef(w: DenseMatrix, x: ArrayLike<number>, m: number, y0?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(m * w.rows);
  for (let r = 0; r < m; r++) {
    const row = matVec(w, Array.prototype.slice.call(x, r * w.cols, (r + 1) * w.cols) as number[]);
    for (let n = 0; n < w.rows; n++) y[r * w.rows + n] = row[n] + (y0 ? y0[r * w.rows + n] : 0);
  }
  return y;
}
