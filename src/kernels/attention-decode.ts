// Decode attention (one query row) against the KV cache, flash-decoding style: the visible keys are split into
// chunks attended by separate workgroups (all query heads of a kv head each), then merged in a second dispatch.
import attentionDecodeWgsl from '../../shaders/attention-decode.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { fixedOp, getPipeline, type BoundOp } from '../gpu/kernel.js';
import { ATTENTION_TILE_WGSL, laneSplit } from './attention-tile.js';
import { STEP_WGSL } from './step.js';

export const ATTENTION_DECODE = {
  name: 'attention-decode',
  code: [STEP_WGSL, ATTENTION_TILE_WGSL, attentionDecodeWgsl].join('\n'),
} as const;

const PARTIAL = { ...ATTENTION_DECODE, entryPoint: 'partial' };
const MERGE = { ...ATTENTION_DECODE, entryPoint: 'merge' };

/** Fewest keys per chunk before another chunk (workgroup) is used. */
export const DEFAULT_MIN_CHUNK = 64;
/** Most chunks (the grid's fixed width per kv head). */
export const DEFAULT_MAX_SPLITS = 32;

/** Per-chunk partial results; one scratch can serve every decode attention op of a model (they run in order). */
export interface AttentionDecodeScratch {
  readonly partials: GPUBuffer; // [numHeads, splits, headDim] f32
  readonly stats: GPUBuffer; // [numHeads, splits, 2] f32 (max, denominator)
}

export interface AttentionDecodeArgs {
  readonly q: GPUBuffer; // [1, numHeads * headDim] f32 (normed + roped)
  readonly kCache: GPUBuffer; // [capacity, numKvHeads * headDim] f32, slot = position % capacity
  readonly vCache: GPUBuffer; // [capacity, numKvHeads * headDim] f32
  readonly out: GPUBuffer; // [1, numHeads * headDim] f32
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly capacity: number;
  readonly window: number; // keys with pos - j < window; 0 = full (causal only)
  readonly step: GPUBuffer; // Step uniform: start_pos = position of the query
  /** Most keys ever visible, for grid sizing (default: window, or capacity for full layers). */
  readonly maxKeys?: number;
  readonly maxSplits?: number; // default DEFAULT_MAX_SPLITS
  readonly minChunk?: number; // default DEFAULT_MIN_CHUNK
  /** Shared scratch (createAttentionDecodeScratch with at least this op's sizes); default: a private one. */
  readonly scratch?: AttentionDecodeScratch;
}

/** Chunks per kv head in the grid for a worst case of maxKeys visible keys. */
export function decodeSplits(maxKeys: number, maxSplits = DEFAULT_MAX_SPLITS, minChunk = DEFAULT_MIN_CHUNK): number {
  return Math.min(Math.max(1, maxSplits), Math.max(1, Math.ceil(maxKeys / minChunk)));
}

export function createAttentionDecodeScratch(ctx: GpuContext, numHeads: number, headDim: number, splits = DEFAULT_MAX_SPLITS): AttentionDecodeScratch {
  return {
    partials: createStorageBuffer(ctx, numHeads * splits * headDim * 4, 'attention-decode partials'),
    stats: createStorageBuffer(ctx, numHeads * splits * 2 * 4, 'attention-decode stats'),
  };
}

/** Binds once; returns [partial, merge], to encode in this order every step. */
export function bindAttentionDecode(ctx: GpuContext, a: AttentionDecodeArgs): BoundOp[] {
  if (a.numHeads % a.numKvHeads !== 0) throw new Error(`attention-decode: ${a.numHeads} heads, ${a.numKvHeads} kv heads`);
  if (a.window > 0 && a.capacity < a.window) {
    throw new Error(`attention-decode: a ring of ${a.capacity} slots is smaller than the window ${a.window}`);
  }
  const group = a.numHeads / a.numKvHeads;
  const minChunk = a.minChunk ?? DEFAULT_MIN_CHUNK;
  const maxKeys = a.maxKeys ?? (a.window > 0 ? Math.min(a.window, a.capacity) : a.capacity);
  const splits = decodeSplits(maxKeys, a.maxSplits, minChunk);
  // enough lanes for >= 64 threads per workgroup where the head allows it
  const { lanes, vec4PerLane } = laneSplit(a.headDim, Math.ceil(64 / group));
  const wg = group * lanes;
  if (wg > ctx.limits.maxInvocationsPerWorkgroup) {
    throw new Error(`attention-decode: ${group} query heads per kv head × ${lanes} lanes exceed ${ctx.limits.maxInvocationsPerWorkgroup} invocations`);
  }
  const scratch = a.scratch ?? createAttentionDecodeScratch(ctx, a.numHeads, a.headDim, splits);
  if (scratch.partials.size < a.numHeads * splits * a.headDim * 4 || scratch.stats.size < a.numHeads * splits * 8) {
    throw new Error('attention-decode: scratch buffers too small');
  }
  const params = createUniformBuffer(
    ctx,
    [a.numKvHeads, a.capacity, a.window, splits, minChunk, a.headDim / 4],
    'uuuuuu',
    'attention-decode params',
  );
  const partial = getPipeline(ctx, PARTIAL, { WG: wg, L: lanes, NV: vec4PerLane, G: group });
  const merge = getPipeline(ctx, MERGE);
  const bg = (pipeline: GPUComputePipeline, entries: [number, GPUBuffer][], label: string) =>
    ctx.device.createBindGroup({
      label,
      layout: pipeline.getBindGroupLayout(0),
      entries: entries.map(([binding, buffer]) => ({ binding, resource: { buffer } })),
    });
  const partialGroup = bg(
    partial,
    [[0, params], [1, a.step], [2, a.q], [3, a.kCache], [4, a.vCache], [5, scratch.partials], [6, scratch.stats]],
    'attention-decode partial',
  );
  const mergeGroup = bg(merge, [[0, params], [1, a.step], [5, scratch.partials], [6, scratch.stats], [7, a.out]], 'attention-decode merge');
  return [
    fixedOp('attention-decode partial', partial, partialGroup, [splits, a.numKvHeads]),
    fixedOp('attention-decode merge', merge, mergeGroup, [a.numHeads]),
  ];
}
