// Writes a chunk's K/V rows into a layer's KV cache (slot = position % capacity), applying v_norm on the way and,
// when kNormWeight and invFreq are given, k_norm + RoPE too (so k goes straight from its projection to the cache).
import ropeLibWgsl from '../../shaders/lib/rope.wgsl?raw';
import wgSumWgsl from '../../shaders/lib/wg-sum.wgsl?raw';
import kvWriteWgsl from '../../shaders/kv-write.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';
import { STEP_WGSL } from './step.js';

export const KV_WRITE = { name: 'kv-write', code: [STEP_WGSL, ropeLibWgsl, wgSumWgsl, kvWriteWgsl].join('\n') } as const;

const WG = 64;

export interface KvWriteArgs {
  readonly k: GPUBuffer; // [rows, numKvHeads * headDim] f32: raw projection (with kNormWeight) or normed + roped
  readonly v: GPUBuffer; // [rows, numKvHeads * headDim] f32: raw projection (v_norm is applied here)
  readonly kCache: GPUBuffer; // [capacity, numKvHeads * headDim] f32
  readonly vCache: GPUBuffer; // [capacity, numKvHeads * headDim] f32
  readonly rows: number; // <= capacity
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly capacity: number;
  readonly eps: number;
  readonly step: GPUBuffer; // Step uniform: row r is at position start_pos + r
  /** k_norm weight [headDim] f32; with invFreq, k_h = RoPE(RMSNorm(k_h; kNormWeight)) is fused in. */
  readonly kNormWeight?: GPUBuffer;
  readonly invFreq?: GPUBuffer; // [headDim / 2] f32
}

/** Binds once; the op is encoded every step. */
export function bindKvWrite(ctx: GpuContext, a: KvWriteArgs): BoundOp {
  const kPrep = a.kNormWeight !== undefined;
  if (kPrep !== (a.invFreq !== undefined)) throw new Error('kv-write: give both kNormWeight and invFreq, or neither');
  if (a.rows > a.capacity) throw new Error(`kv-write: ${a.rows} rows do not fit a cache of ${a.capacity} slots`);
  if (kPrep && a.headDim % 2 !== 0) throw new Error(`kv-write: headDim ${a.headDim} must be even for RoPE`);
  const pipeline = getPipeline(ctx, KV_WRITE, { WG, K_PREP: kPrep ? 1 : 0 });
  const params = createUniformBuffer(ctx, [a.rows, a.numKvHeads, a.headDim, a.capacity, a.eps], 'uuuuf', 'kv-write params');
  const bindGroup = createBindGroup(
    ctx,
    pipeline,
    [params, a.step, a.k, a.v, a.kCache, a.vCache, a.kNormWeight ?? a.k, a.invFreq ?? a.k],
    'kv-write',
  );
  return fixedOp('kv-write', pipeline, bindGroup, grid2d(ctx, a.rows * a.numKvHeads));
}
