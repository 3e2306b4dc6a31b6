// RMSNorm over each row of a [rows, n] f32 tensor, with or without a weight (per-head norms use rows = heads).
import rmsNormWgsl from '../../shaders/rms-norm.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';

export const RMS_NORM = { name: 'rms-norm', code: rmsNormWgsl } as const;

export interface RmsNormArgs {
  readonly x: GPUBuffer; // [rows, n] f32
  readonly weight: GPUBuffer | undefined; // [n] f32, undefined = no weight (v_norm)
  readonly y: GPUBuffer; // [rows, n] f32
  readonly rows: number;
  readonly n: number;
  readonly eps: number;
}

/** Binds once; the returned op can be encoded every step. */
export function bindRmsNorm(ctx: GpuContext, a: RmsNormArgs): BoundOp {
  const hasWeight = a.weight !== undefined;
  const pipeline = getPipeline(ctx, RMS_NORM, { WG: 64, HAS_WEIGHT: hasWeight ? 1 : 0 });
  const params = createUniformBuffer(ctx, [a.rows, a.n, a.eps], 'uuf', 'rms-norm params');
  const bindGroup = createBindGroup(ctx, pipeline, [params, a.x, a.weight ?? a.x, a.y], 'rms-norm');
  return fixedOp('rms-norm', pipeline, bindGroup, grid2d(ctx, a.rows));
}
