// Shared by the matvec/matmul GPU tests: run a table of y (+)= W x cases in one submit and compare each
// with the reference (passed in: kernels/ code may not import src/reference) under linearTolerance.
import type { GpuContext } from '../gpu/context.js';
import type { BoundOp } from '../gpu/kernel.js';
import { readF32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import type { LinearArgs } from './matvec.js';
import { empty, seeded, toleranceRatio, upload } from './test-helpers.js';
import { createGpuWeight } from './weight-layout.js';

export interface WeightFixture {
  readonly type: number;
  readonly typeName: string;
  readonly rows: number;
  readonly cols: number;
  readonly bytes: Uint8Array;
  readonly values: Float32Array;
}

export interface LinearCase {
  readonly w: WeightFixture;
  readonly m: number;
  readonly accumulate: boolean;
  /** Offsets/strides in elements (defaults: packed rows). */
  readonly xOffset?: number;
  readonly xStride?: number;
  readonly yOffset?: number;
  readonly yStride?: number;
}

/**
 * Tolerance for y = W x with f32 products and f32 sums against the exact (double) reference:
 * atol = 2^-19 * sqrt(K) * A, rtol = 2^-22, where A = max over outputs of sum_k |W[n,k] x[m,k]|.
 * The kernels add at most ~K/32 + 20 rounded terms in sequence (per-granule partials, then granules), each
 * bounded by a few times A (offset types compute a * sum(q x) + b * sum(x), whose parts can exceed A by ~2-4x),
 * so the error stays below ~4 (K/32 + 20) 2^-24 A <= 2^-19 sqrt(K) A for every K used here (K >= 1 up to 1792).
 * A wrongly decoded weight among K shows up as an error of order A / K, far above that (mutations are caught).
 */
export function linearTolerance(values: Float32Array, rows: number, cols: number, x: Float32Array, m: number): { atol: number; rtol: number } {
  let A = 0;
  for (let r = 0; r < m; r++) {
    for (let n = 0; n < rows; n++) {
      let s = 0;
      for (let k = 0; k < cols; k++) s += Math.abs(values[n * cols + k] * x[r * cols + k]);
      A = Math.max(A, s);
    }
  }
  return { atol: 2 ** -19 * Math.sqrt(cols) * A + 1e-30, rtol: 2 ** -22 };
}

/** Records every case's ops into one submit, then reads and checks each; returns the failures (empty: all passed). */
export async function runLinearCases(
  ctx: GpuContext,
  bind: (ctx: GpuContext, a: LinearArgs) => BoundOp[],
  cases: readonly LinearCase[],
  seed: number,
  ref: (w: { rows: number; cols: number; data: Float32Array }, x: Float32Array, m: number, y0?: Float32Array) => Float64Array,
  onWeight?: (parts: number, c: LinearCase) => void,
): Promise<string[]> {
  const rnd = seeded(seed);
  const prepared = cases.map((c) => {
    const { w, m } = c;
    const gw = createGpuWeight(ctx, `${w.typeName}[${w.rows}x${w.cols}]`, w.type, [w.cols, w.rows], w.bytes);
    onWeight?.(gw.parts.length, c);
    const xStride = c.xStride ?? w.cols;
    const yStride = c.yStride ?? w.rows;
    const xOffset = c.xOffset ?? 0;
    const yOffset = c.yOffset ?? 0;
    const xFull = rnd.array(xOffset + m * xStride, 1);
    const yFull = rnd.array(yOffset + m * yStride, 1);
    const x = new Float32Array(m * w.cols);
    const y0 = new Float32Array(m * w.rows);
    for (let r = 0; r < m; r++) {
      x.set(xFull.subarray(xOffset + r * xStride, xOffset + r * xStride + w.cols), r * w.cols);
      y0.set(yFull.subarray(yOffset + r * yStride, yOffset + r * yStride + w.rows), r * w.rows);
    }
    const xb = upload(ctx, xFull);
    const yb = c.accumulate ? upload(ctx, yFull) : empty(ctx, yFull.byteLength);
    const ops = bind(ctx, { weight: gw, x: xb, y: yb, m, accumulate: c.accumulate, xOffset, yOffset, xStride, yStride });
    return { c, gw, x, y0, yb, ops, yOffset, yStride };
  });
  submitOps(
    ctx,
    prepared.flatMap((p) => p.ops),
  );
  const failures: string[] = [];
  for (const p of prepared) {
    const { c, x, y0, yb, yOffset, yStride } = p;
    const { w, m } = c;
    const all = await readF32(ctx, yb, 0, yOffset + m * yStride);
    const gpu = new Float32Array(m * w.rows);
    for (let r = 0; r < m; r++) gpu.set(all.subarray(yOffset + r * yStride, yOffset + r * yStride + w.rows), r * w.rows);
    const want = ref({ rows: w.rows, cols: w.cols, data: w.values }, x, m, c.accumulate ? y0 : undefined);
    const tol = linearTolerance(w.values, w.rows, w.cols, x, m);
    const t = toleranceRatio(gpu, want, tol.atol, tol.rtol);
    if (!(t.worst < 1)) {
      failures.push(
        `${w.typeName} N=${w.rows} K=${w.cols} m=${m} acc=${c.accumulate} parts=${p.gw.parts.length}: worst ${t.worst.toFixed(2)} at ${t.at} gpu ${t.gpu} ref ${t.ref}`,
      );
    }
    for (const b of [...p.gw.parts.flatMap((q) => q.buffers), yb]) b.destroy();
  }
  return failures;
}
