// Embedding gather from a packed table on the GPU: out[r, :] = table[tokens[r], :] * scale, token ids read
// from a GPU buffer (a sampled id feeds the next step without a readback); one dispatch per table part.
import gatherWgsl from '../../shaders/embed-gather.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';
import { granulesPerRow, type GpuWeight } from './weight-layout.js';
import { weightKernelSource } from './weight-shaders.js';

export interface EmbedGatherArgs {
  readonly table: GpuWeight; // [vocab = rows, width = cols]
  readonly tokens: GPUBuffer; // u32 [m]
  readonly out: GPUBuffer; // f32 [m, cols] (row stride outStride) from element outOffset
  readonly m: number;
  readonly scale: number;
  readonly outOffset?: number;
  readonly outStride?: number;
}

const WG = 64;

/** Binds the gather; ids >= table.rows produce zero rows. One op per table part. */
export function bindEmbedGather(ctx: GpuContext, a: EmbedGatherArgs): BoundOp[] {
  const t = a.table;
  if (!Number.isInteger(a.m) || a.m < 1) throw new RangeError(`embed-gather ${t.name}: m must be a positive integer, got ${a.m}`);
  const stride = a.outStride ?? t.cols;
  const end = ((a.outOffset ?? 0) + (a.m - 1) * stride + t.cols) * 4;
  if (end > a.out.size) throw new RangeError(`embed-gather ${t.name}: out needs ${end} bytes, buffer has ${a.out.size}`);
  if (a.tokens.size < a.m * 4) throw new RangeError(`embed-gather ${t.name}: tokens needs ${a.m * 4} bytes`);
  const granules = granulesPerRow(t.type, t.cols);
  const pipeline = getPipeline(ctx, weightKernelSource('embed-gather', gatherWgsl, t.type, 'none'), { WG });
  return t.parts.map((part, i) => {
    const params = createUniformBuffer(
      ctx,
      [a.m, part.rowCount, granules, t.cols, part.firstRow, t.rows, a.outOffset ?? 0, stride, a.scale, i === 0 ? 1 : 0],
      'uuuuuuuufu',
      `embed-gather ${t.name} params`,
    );
    const bindGroup = createBindGroup(ctx, pipeline, [params, a.tokens, a.out, ...part.buffers], `embed-gather ${t.name}`);
    return fixedOp(`embed-gather ${t.name}`, pipeline, bindGroup, grid2d(ctx, Math.ceil((a.m * granules) / WG)));
  });
}
