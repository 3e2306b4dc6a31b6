// The sandwich-norm residual add of a decoder layer on [rows, n] f32: x += RMSNorm(branch; w), then optionally
// x *= layer scalar, and optionally y = RMSNorm(x; w_next) for the next norm's input (saves a pass over x).
import residualNormWgsl from '../../shaders/residual-norm.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';
import { requireElements, requireInt } from './checks.js';

export const RESIDUAL_NORM = { name: 'residual-norm', code: residualNormWgsl } as const;

export interface ResidualNormArgs {
  readonly x: GPUBuffer; // [rows, n] f32, the residual stream, updated in place
  readonly branch: GPUBuffer; // [rows, n] f32, the block output (attention o, MLP down, PLE projection)
  readonly weight: GPUBuffer; // [n] f32, the post-block norm
  readonly eps: number;
  readonly rows: number;
  readonly n: number;
  /** Multiplies the whole updated x (spec §3.3 step 14); omitted = 1. */
  readonly layerScalar?: number;
  /** Also writes RMSNorm(x_new; weight) to out ([rows, n] f32, must not alias x or branch). */
  readonly nextNorm?: { readonly weight: GPUBuffer; readonly out: GPUBuffer; readonly eps?: number };
}

/** Binds once; the returned op can be encoded every step. */
export function bindResidualNorm(ctx: GpuContext, a: ResidualNormArgs): BoundOp {
  requireInt('residual-norm', 'rows', a.rows);
  requireInt('residual-norm', 'n', a.n);
  requireElements('residual-norm', 'x', a.x, a.rows * a.n);
  requireElements('residual-norm', 'branch', a.branch, a.rows * a.n);
  requireElements('residual-norm', 'weight', a.weight, a.n);
  const next = a.nextNorm;
  if (next) {
    requireElements('residual-norm', 'nextNorm.weight', next.weight, a.n);
    requireElements('residual-norm', 'nextNorm.out', next.out, a.rows * a.n);
    if (next.out === a.x || next.out === a.branch) throw new RangeError('residual-norm: nextNorm.out must not alias x or branch');
  }
  const scale = a.layerScalar ?? 1;
  if (!Number.isFinite(scale)) throw new RangeError(`residual-norm: layerScalar must be finite, got ${scale}`);
  const pipeline = getPipeline(ctx, RESIDUAL_NORM, { WG: 128, HAS_NEXT: next ? 1 : 0 });
  const params = createUniformBuffer(ctx, [a.rows, a.n, a.eps, scale, next?.eps ?? a.eps], 'uufff', 'residual-norm params');
  // Unused bindings still need distinct buffers: a writable binding may not alias any other binding.
  const yNext = next?.out ?? createStorageBuffer(ctx, 4, 'residual-norm unused');
  const bindGroup = createBindGroup(ctx, pipeline, [params, a.x, a.branch, a.weight, next?.weight ?? a.weight, yNext], 'residual-norm');
  return fixedOp('residual-norm', pipeline, bindGroup, grid2d(ctx, a.rows));
}
