// RoPE in place on [rows, heads * headDim] at positions start_pos + row (from the Step uniform), alone or fused
// with the per-head RMSNorm that precedes it for q and k: x_h = RoPE(RMSNorm(x_h; w)).
import ropeLibWgsl from '../../shaders/lib/rope.wgsl?raw';
import wgSumWgsl from '../../shaders/lib/wg-sum.wgsl?raw';
import ropeWgsl from '../../shaders/rope.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';
import { STEP_WGSL } from './step.js';

export const ROPE = { name: 'rope', code: [STEP_WGSL, ropeLibWgsl, wgSumWgsl, ropeWgsl].join('\n') } as const;

const WG = 64;

export interface RopeArgs {
  readonly x: GPUBuffer; // [rows, heads * headDim] f32, rotated in place
  readonly rows: number;
  readonly heads: number;
  readonly headDim: number;
  readonly invFreq: GPUBuffer; // [headDim / 2] f32
  readonly step: GPUBuffer; // Step uniform: row r is at position start_pos + r
}

export interface NormRopeArgs extends RopeArgs {
  readonly weight: GPUBuffer; // [headDim] f32 (q_norm / k_norm)
  readonly eps: number;
}

function bind(ctx: GpuContext, a: RopeArgs, norm: { weight: GPUBuffer; eps: number } | undefined): BoundOp {
  const name = norm ? 'norm-rope' : 'rope';
  if (a.headDim % 2 !== 0) throw new Error(`${name}: headDim ${a.headDim} must be even`);
  if (a.invFreq.size < (a.headDim / 2) * 4) throw new Error(`${name}: invFreq holds fewer than headDim/2 = ${a.headDim / 2} floats`);
  const pipeline = getPipeline(ctx, ROPE, { WG, NORM: norm ? 1 : 0 });
  const params = createUniformBuffer(ctx, [a.rows, a.heads, a.headDim, norm?.eps ?? 0], 'uuuf', `${name} params`);
  const bindGroup = createBindGroup(ctx, pipeline, [params, a.step, a.x, a.invFreq, norm?.weight ?? a.invFreq], name);
  return fixedOp(name, pipeline, bindGroup, grid2d(ctx, a.rows * a.heads));
}

/** RoPE in place; binds once, the op is encoded every step. */
export function bindRope(ctx: GpuContext, a: RopeArgs): BoundOp {
  return bind(ctx, a, undefined);
}

/** Per-head RMSNorm with weight, then RoPE, in place (one pass instead of two). */
export function bindNormRope(ctx: GpuContext, a: NormRopeArgs): BoundOp {
  return bind(ctx, a, { weight: a.weight, eps: a.eps });
}
