// Prefill matrix-matrix product on a packed weight: Y[M, :] (+)= X[M, :] W^T, tiled so each dequantized weight
// tile in workgroup memory serves 64 activation rows; one dispatch per weight part.
import matmulWgsl from '../../shaders/matmul.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';
import { checkLinearArgs, xLoadVariant, type LinearArgs } from './matvec.js';
import { granulesPerRow, type GpuWeight } from './weight-layout.js';
import { weightKernelSource } from './weight-shaders.js';

/** Activation rows per workgroup tile (shaders/matmul.wgsl TM). */
export const MATMUL_TILE_M = 64;
/** Weight rows per workgroup tile. */
export const MATMUL_TILE_N = 64;

/** Binds Y (+)= X W^T for any m >= 1 (args as bindMatvec, m = M); one op per weight part. */
export function bindMatmul(ctx: GpuContext, a: LinearArgs): BoundOp[] {
  const w: GpuWeight = a.weight;
  checkLinearArgs(a, 'matmul');
  const TN = MATMUL_TILE_N;
  const ng = granulesPerRow(w.type, w.cols);
  const source = weightKernelSource('matmul', matmulWgsl, w.type, xLoadVariant(a));
  const pipeline = getPipeline(ctx, source, { TN, TAIL: w.cols % 32 !== 0 ? 1 : 0 });
  return w.parts.map((part) => {
    const tilesN = Math.ceil(part.rowCount / TN);
    const tilesM = Math.ceil(a.m / MATMUL_TILE_M);
    const params = createUniformBuffer(
      ctx,
      [w.cols, part.rowCount, ng, a.xOffset ?? 0, a.xStride ?? w.cols, a.yOffset ?? 0, a.yStride ?? w.rows, part.firstRow, a.m, tilesN, a.accumulate ? 1 : 0],
      'uuuuuuuuuuu',
      `matmul ${w.name} params`,
    );
    const bindGroup = createBindGroup(ctx, pipeline, [params, a.x, a.y, ...part.buffers], `matmul ${w.name}`);
    return fixedOp(`matmul ${w.name}`, pipeline, bindGroup, grid2d(ctx, tilesN * tilesM));
  });
}
