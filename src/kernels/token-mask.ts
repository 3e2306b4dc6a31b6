// The allowed-token mask on the GPU: one small kernel, recorded before the sampler only on steps that carry a mask,
// writes the reserved MASKED_LOGIT_BITS over disallowed logits in place (shaders/token-mask.wgsl). The sampler reads
// them as -inf before its folded-in softcap (shaders/lib/sample-logit.wgsl) and logprobs as the floor, so greedy,
// sampling and the candidate probabilities all see the mask, while a NaN/Inf from the model is still an error.
// Unconstrained steps record nothing and upload nothing.
import tokenMaskWgsl from '../../shaders/token-mask.wgsl?raw';
import { createStorageBuffer, createUniformBuffer, writeBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';
import { requireInt } from './checks.js';

export const TOKEN_MASK = { name: 'token-mask', code: tokenMaskWgsl } as const;
const WG = 256;

export interface TokenMaskOptions {
  /** Logits, f32; the kernel masks [logitsOffset, logitsOffset + vocabSize). */
  readonly logits: GPUBuffer;
  readonly vocabSize: number;
  readonly logitsOffset?: number;
}

export interface GpuTokenMask {
  /** u32 [ceil(vocabSize / 32)]: the mask the op applies (written by set()). */
  readonly mask: GPUBuffer;
  readonly words: number;
  /** Uploads `mask` (words * 4 bytes: 32 KiB for 262,144 tokens) for the next recorded op. */
  set(mask: Uint32Array | Int32Array): void;
  /** The bound op; record it after the LM head and before the sampler on masked steps only. */
  readonly op: BoundOp;
  destroy(): void;
}

export function createGpuTokenMask(ctx: GpuContext, o: TokenMaskOptions): GpuTokenMask {
  const V = o.vocabSize;
  const offset = o.logitsOffset ?? 0;
  requireInt('token-mask', 'vocabSize', V);
  requireInt('token-mask', 'logitsOffset', offset, 0);
  if (o.logits.size < (offset + V) * 4) throw new RangeError(`token-mask: logits buffer has ${o.logits.size} bytes, needs ${(offset + V) * 4}`);
  const words = Math.ceil(V / 32);
  const mask = createStorageBuffer(ctx, words * 4, 'token mask');
  const params = createUniformBuffer(ctx, [V, offset], 'uu', 'token-mask params');
  const pipeline = getPipeline(ctx, TOKEN_MASK, { WG });
  const op = fixedOp('token-mask', pipeline, createBindGroup(ctx, pipeline, [params, mask, o.logits], 'token-mask'), grid2d(ctx, Math.ceil(V / WG)));
  return {
    mask,
    words,
    op,
    set(m) {
      if (m.length !== words) throw new RangeError(`token-mask: mask has ${m.length} words, needs ${words} for ${V} tokens`);
      writeBuffer(ctx, mask, 0, m);
    },
    destroy() {
      mask.destroy();
      params.destroy();
    },
  };
}
