// Reference of kernels/matmul: Y = X W^T (+ Y0), the same product as matvec for any number of rows.
import type { DenseMatrix } from './math.js';
import { matvecRef } from './matvec.js';

/** X: [M, w.cols]; Y0 (accumulate): [M, w.rows]. Returns [M, w.rows]. */
export function matmulRef(w: DenseMatrix, x: ArrayLike<number>, M: number, y0?: ArrayLike<number>): Float64Array {
  return matvecRef(w, x, M, y0);
}
