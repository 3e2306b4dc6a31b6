// Copies n f32 values between buffers inside a compute pass.
import copyWgsl from '../../shaders/copy-rows.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';

export const COPY_ROWS = { name: 'copy-rows', code: copyWgsl } as const;

export function bindCopyRows(
  ctx: GpuContext,
  a: { src: GPUBuffer; dst: GPUBuffer; n: number; srcOffset: number; dstOffset: number },
): BoundOp {
  const pipeline = getPipeline(ctx, COPY_ROWS, { WG: 256 });
  const params = createUniformBuffer(ctx, [a.n, a.srcOffset, a.dstOffset], 'uuu', 'copy-rows params');
  return fixedOp('copy-rows', pipeline, createBindGroup(ctx, pipeline, [params, a.src, a.dst], 'copy-rows'), grid2d(ctx, Math.ceil(a.n / 256)));
}
