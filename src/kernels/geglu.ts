// GeGLU on [rows, n] f32: out = gelu_tanh(gate) ⊙ up, where `up` may be a slice of a wider row (the PLE gate
// multiplies by layer l's slice of the per-layer inputs [rows, L·P]).
import geluWgsl from '../../shaders/lib/gelu.wgsl?raw';
import gegluWgsl from '../../shaders/geglu.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';
import { requireElements, requireInt } from './checks.js';

const code = geluWgsl + '\n' + gegluWgsl;
export const GEGLU = { name: 'geglu', code, entryPoint: 'main' } as const;
export const GEGLU_IN_PLACE = { name: 'geglu', code, entryPoint: 'in_place' } as const;
export const GEGLU_PACKED = { name: 'geglu', code, entryPoint: 'packed' } as const;

const WG = 256;
const MAX_GROUPS = 1024; // grid-stride beyond this: fewer, fatter workgroups (SwiftShader pays per workgroup)

export interface GegluArgs {
  readonly gate: GPUBuffer; // [rows, n] f32
  readonly up: GPUBuffer; // [rows, upRowStride] f32, read at upOffset + k
  readonly out: GPUBuffer; // [rows, n] f32; === gate: the result overwrites gate; must not alias up
  readonly rows: number;
  readonly n: number;
  /** Elements between consecutive rows of `up` (default n; L·P for the PLE slice). */
  readonly upRowStride?: number;
  /** First element of row 0's slice in `up` (default 0; l·P for layer l's PLE slice). */
  readonly upOffset?: number;
}

/** Binds once; the returned op can be encoded every step. */
export function bindGeglu(ctx: GpuContext, a: GegluArgs): BoundOp {
  const upRowStride = a.upRowStride ?? a.n;
  const upOffset = a.upOffset ?? 0;
  requireInt('geglu', 'rows', a.rows);
  requireInt('geglu', 'n', a.n);
  requireInt('geglu', 'upOffset', upOffset, 0);
  if (!Number.isInteger(upRowStride) || upRowStride < upOffset + a.n) {
    throw new RangeError(`geglu: upRowStride ${upRowStride} must be an integer >= upOffset + n = ${upOffset + a.n}`);
  }
  requireElements('geglu', 'gate', a.gate, a.rows * a.n);
  requireElements('geglu', 'out', a.out, a.rows * a.n);
  requireElements('geglu', 'up', a.up, (a.rows - 1) * upRowStride + upOffset + a.n);
  if (a.up === a.gate || a.up === a.out) throw new RangeError('geglu: up must not alias gate or out');
  const inPlace = a.out === a.gate;
  const pipeline = getPipeline(ctx, inPlace ? GEGLU_IN_PLACE : GEGLU, { WG });
  const params = createUniformBuffer(ctx, [a.rows, a.n, upRowStride, upOffset], 'uuuu', 'geglu params');
  const resources = inPlace ? [params, a.gate, a.up] : [params, a.gate, a.up, a.out];
  const bindGroup = createBindGroup(ctx, pipeline, resources, 'geglu');
  const groups = Math.min(MAX_GROUPS, Math.ceil((a.rows * a.n) / WG));
  return fixedOp('geglu', pipeline, bindGroup, grid2d(ctx, groups));
}

/**
 * GeGLU on the output of a fused gate/up product, [rows, 2n] f32 with each row's gate values then its up values:
 * the first n of each row become gelu_tanh(gate) * up, in place (the down product then reads them with row stride 2n).
 */
export function bindGegluPacked(ctx: GpuContext, a: { gateUp: GPUBuffer; rows: number; n: number }): BoundOp {
  requireInt('geglu', 'rows', a.rows);
  requireInt('geglu', 'n', a.n);
  requireElements('geglu', 'gateUp', a.gateUp, a.rows * 2 * a.n);
  const pipeline = getPipeline(ctx, GEGLU_PACKED, { WG });
  const params = createUniformBuffer(ctx, [a.rows, a.n, 2 * a.n, a.n], 'uuuu', 'geglu packed params');
  const bindGroup = createBindGroup(ctx, pipeline, [params, a.gateUp], 'geglu packed');
  const groups = Math.min(MAX_GROUPS, Math.ceil((a.rows * a.n) / WG));
  return fixedOp('geglu', pipeline, bindGroup, grid2d(ctx, groups));
}
