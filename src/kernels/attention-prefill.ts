// Prefill attention: `rows` query rows at positions start_pos + r against the KV cache (already holding this
// chunk's K/V): causal + sliding window, GQA, online softmax, K/V rows shared by all query heads of a kv head.
import attentionPrefillWgsl from '../../shaders/attention-prefill.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';
import { ATTENTION_TILE_WGSL, laneSplit } from './attention-tile.js';
import { STEP_WGSL } from './step.js';

export const ATTENTION_PREFILL = {
  name: 'attention-prefill',
  code: [STEP_WGSL, ATTENTION_TILE_WGSL, attentionPrefillWgsl].join('\n'),
} as const;

/** Threads per workgroup (about): WG / lanes query vectors. Workgroup memory: 2 · WG · 4 keys · 4 B = 4 KiB. */
const WG = 128;

export interface AttentionPrefillArgs {
  readonly q: GPUBuffer; // [rows, numHeads * headDim] f32 (normed + roped)
  readonly kCache: GPUBuffer; // [capacity, numKvHeads * headDim] f32, slot = position % capacity
  readonly vCache: GPUBuffer; // [capacity, numKvHeads * headDim] f32
  readonly out: GPUBuffer; // [rows, numHeads * headDim] f32
  readonly rows: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  /** Cache slots: >= window + rows - 1 for sliding layers, > the last position for full layers. */
  readonly capacity: number;
  readonly window: number; // keys with i - j < window; 0 = full (causal only)
  readonly step: GPUBuffer; // Step uniform: row r is at position start_pos + r
}

/** Binds once (rows is fixed per binding); returns the ops to encode every step, in order (one dispatch). */
export function bindAttentionPrefill(ctx: GpuContext, a: AttentionPrefillArgs): BoundOp[] {
  if (a.numHeads % a.numKvHeads !== 0) throw new Error(`attention-prefill: ${a.numHeads} heads, ${a.numKvHeads} kv heads`);
  if (a.window > 0 && a.capacity < a.window + a.rows - 1) {
    throw new Error(`attention-prefill: a ring of ${a.capacity} slots is too small for window ${a.window} and ${a.rows} rows`);
  }
  const group = a.numHeads / a.numKvHeads;
  const { lanes, vec4PerLane } = laneSplit(a.headDim, 1);
  const wg = lanes * Math.max(1, Math.floor(WG / lanes)); // whole query vectors only
  const pipeline = getPipeline(ctx, ATTENTION_PREFILL, { WG: wg, L: lanes, NV: vec4PerLane });
  const params = createUniformBuffer(ctx, [a.rows, a.numKvHeads, a.capacity, a.window, group], 'uuuuu', 'attention-prefill params');
  const bindGroup = createBindGroup(ctx, pipeline, [params, a.step, a.q, a.kCache, a.vCache, a.out], 'attention-prefill');
  const blocks = Math.ceil((a.rows * group) / (wg / lanes));
  const [x, y] = grid2d(ctx, blocks);
  return [fixedOp('attention-prefill', pipeline, bindGroup, [x, y, a.numKvHeads])];
}
