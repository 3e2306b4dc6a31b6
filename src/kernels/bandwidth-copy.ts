// The copy kernel benchmarks compare against: dst = src over n bytes (a multiple of 16).
import copyWgsl from '../../shaders/bandwidth-copy.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, type BoundOp } from '../gpu/kernel.js';

export const BANDWIDTH_COPY = { name: 'bandwidth-copy', code: copyWgsl } as const;

export function bindBandwidthCopy(ctx: GpuContext, a: { src: GPUBuffer; dst: GPUBuffer; bytes: number; workgroups?: number }): BoundOp {
  if (a.bytes % 16) throw new RangeError('bandwidth-copy: bytes must be a multiple of 16');
  const pipeline = getPipeline(ctx, BANDWIDTH_COPY, { WG: 256 });
  const params = createUniformBuffer(ctx, [a.bytes / 16], 'u', 'bandwidth-copy params');
  const groups = Math.min(a.workgroups ?? 256, ctx.limits.maxWorkgroupsPerDimension);
  return fixedOp('bandwidth-copy', pipeline, createBindGroup(ctx, pipeline, [params, a.src, a.dst], 'bandwidth-copy'), [groups]);
}
