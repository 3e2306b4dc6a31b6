// y (+)= W x for any number of activation rows m: the kernel that suits m and the adapter.
import type { GpuContext } from '../gpu/context.js';
import type { BoundOp } from '../gpu/kernel.js';
import { bindMatmul } from './matmul.js';
import { bindMatvec, isCpuAdapter, MATVEC_MAX_ROWS, type LinearArgs } from './matvec.js';

export type { LinearArgs } from './matvec.js';

/**
 * Binds y (+)= W x; one op per weight part (per part and group of 8 rows on CPU adapters).
 * GPUs: matvec for m <= 8, the tiled matmul above. CPU adapters (SwiftShader): matvec for every m, in groups
 * of 8 activation rows: without workgroup memory or barriers it runs ~2x the tiled kernel there and compiles
 * ~10x faster.
 */
export function bindLinear(ctx: GpuContext, a: LinearArgs): BoundOp[] {
  if (a.m <= MATVEC_MAX_ROWS) return bindMatvec(ctx, a);
  if (!isCpuAdapter(ctx)) return bindMatmul(ctx, a);
  const xs = a.xStride ?? a.weight.cols;
  const ys = a.yStride ?? a.weight.rows;
  const ops: BoundOp[] = [];
  for (let r = 0; r < a.m; r += MATVEC_MAX_ROWS) {
    const m = Math.min(MATVEC_MAX_ROWS, a.m - r);
    ops.push(...bindMatvec(ctx, { ...a, m, xOffset: (a.xOffset ?? 0) + r * xs, yOffset: (a.yOffset ?? 0) + r * ys, xStride: xs, yStride: ys }));
  }
  return ops;
}
