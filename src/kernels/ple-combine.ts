// Per-layer inputs (spec §3.2): pl = (RMSNorm(c·H^(-1/2) per P-slice; w_pln) + r·√P)·2^(-1/2) on [rows, L·P] f32,
// from c = W_plm·e (a matmul output) and r = the gathered raw per-layer-embedding rows; in place or into `out`.
import pleCombineWgsl from '../../shaders/ple-combine.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';
import { requireElements, requireInt } from './checks.js';

export const PLE_COMBINE = { name: 'ple-combine', code: pleCombineWgsl, entryPoint: 'main' } as const;
export const PLE_COMBINE_IN_PLACE = { name: 'ple-combine', code: pleCombineWgsl, entryPoint: 'in_place' } as const;

export interface PleCombineArgs {
  readonly c: GPUBuffer; // [rows, layers * width] f32, W_plm·e (unscaled)
  readonly r: GPUBuffer; // [rows, layers * width] f32, raw E_ple rows of the tokens (unscaled)
  readonly normWeight: GPUBuffer; // [width] f32, per_layer_projection_norm
  /** [rows, layers * width] f32; omitted or === c: the result overwrites c. Must not alias r. */
  readonly out?: GPUBuffer;
  readonly rows: number;
  readonly layers: number;
  readonly width: number; // P
  readonly hiddenSize: number; // H, for the H^(-1/2) projection scale
  readonly eps: number;
}

/** Binds once; the returned op can be encoded every step. */
export function bindPleCombine(ctx: GpuContext, a: PleCombineArgs): BoundOp {
  for (const k of ['rows', 'layers', 'width', 'hiddenSize'] as const) requireInt('ple-combine', k, a[k]);
  const total = a.rows * a.layers * a.width;
  requireElements('ple-combine', 'c', a.c, total);
  requireElements('ple-combine', 'r', a.r, total);
  requireElements('ple-combine', 'normWeight', a.normWeight, a.width);
  if (a.out === a.r || a.c === a.r) throw new RangeError('ple-combine: r must not alias c or out');
  const inPlace = a.out === undefined || a.out === a.c;
  if (!inPlace) requireElements('ple-combine', 'out', a.out!, total);
  const pipeline = getPipeline(ctx, inPlace ? PLE_COMBINE_IN_PLACE : PLE_COMBINE, { WG: 64 });
  const params = createUniformBuffer(
    ctx,
    [a.rows, a.layers, a.width, 1 / Math.sqrt(a.hiddenSize), Math.sqrt(a.width), a.eps],
    'uuufff',
    'ple-combine params',
  );
  const resources = [params, a.c, a.r, a.normWeight];
  if (!inPlace) resources.push(a.out!);
  const bindGroup = createBindGroup(ctx, pipeline, resources, 'ple-combine');
  return fixedOp('ple-combine', pipeline, bindGroup, grid2d(ctx, a.rows * a.layers));
}
