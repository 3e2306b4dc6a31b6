// Final logit softcap cap * tanh(z / cap) in place, for the logits readout (the sampler applies it itself).
import softcapWgsl from '../../shaders/softcap.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';

export const SOFTCAP = { name: 'softcap', code: softcapWgsl } as const;

export function bindSoftcap(ctx: GpuContext, a: { z: GPUBuffer; n: number; cap: number }): BoundOp {
  const pipeline = getPipeline(ctx, SOFTCAP, { WG: 256 });
  const params = createUniformBuffer(ctx, [a.n, a.cap], 'uf', 'softcap params');
  return fixedOp('softcap', pipeline, createBindGroup(ctx, pipeline, [params, a.z], 'softcap'), grid2d(ctx, Math.ceil(a.n / 256)));
}
