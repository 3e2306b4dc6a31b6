// Log-probabilities of the sampled token and the 5 most likely ids, on the GPU after the sampler, so only 48 bytes
// are read back (OpenAI logprobs / top_logprobs 0-5). Distribution: softmax(softcap(logits)), temperature 1, no
// bias or penalties (reference: src/reference/logprobs.ts). 2 dispatches: per-workgroup partials, one merge.
import logprobsCommonWgsl from '../../shaders/lib/logprobs-common.wgsl?raw';
import logprobsFinalWgsl from '../../shaders/logprobs-final.wgsl?raw';
import logprobsPartialsWgsl from '../../shaders/logprobs-partials.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, type BoundOp } from '../gpu/kernel.js';
import { requireInt } from './checks.js';

export const LOGPROBS_PARTIALS = { name: 'logprobs-partials', code: logprobsCommonWgsl + '\n' + logprobsPartialsWgsl } as const;
export const LOGPROBS_FINAL = { name: 'logprobs-final', code: logprobsCommonWgsl + '\n' + logprobsFinalWgsl } as const;

/** Alternatives the kernel always computes (the caller reads as many as it needs). */
export const LOGPROBS_TOP = 5;
/** f32 words of the output: [0] logprob of the token, [1..5] top logprobs, [6..10] top ids (u32 bits), [11] the token id (u32 bits). */
export const LOGPROBS_OUT_WORDS = 12;

const WG = 256;
const PER_THREAD = 16;

export interface BoundLogprobs {
  readonly ops: readonly BoundOp[];
  /** f32 [LOGPROBS_OUT_WORDS]. */
  readonly out: GPUBuffer;
  destroy(): void;
}

export function bindLogprobs(ctx: GpuContext, a: { logits: GPUBuffer; vocabSize: number; softcap: number; token: GPUBuffer }): BoundLogprobs {
  const V = a.vocabSize;
  requireInt('logprobs', 'vocabSize', V);
  if (!(a.softcap >= 0 && Number.isFinite(a.softcap))) throw new RangeError(`logprobs: softcap must be finite and >= 0, got ${a.softcap}`);
  if (a.logits.size < V * 4) throw new RangeError(`logprobs: logits buffer has ${a.logits.size} bytes, needs ${V * 4}`);
  const groups = Math.max(1, Math.min(WG, Math.ceil(V / (WG * PER_THREAD))));
  const params = createUniformBuffer(ctx, [V, groups, a.softcap, 0], 'uufu', 'logprobs params');
  const partials = createStorageBuffer(ctx, groups * 12 * 4, 'logprobs partials');
  const out = createStorageBuffer(ctx, LOGPROBS_OUT_WORDS * 4, 'logprobs out');
  const p1 = getPipeline(ctx, LOGPROBS_PARTIALS);
  const p2 = getPipeline(ctx, LOGPROBS_FINAL);
  const ops = [
    fixedOp('logprobs-partials', p1, createBindGroup(ctx, p1, [params, a.logits, partials], 'logprobs-partials'), [groups]),
    fixedOp('logprobs-final', p2, createBindGroup(ctx, p2, [params, a.logits, partials, a.token, out], 'logprobs-final'), [1]),
  ];
  return {
    ops,
    out,
    destroy() {
      for (const b of [params, partials, out]) b.destroy();
    },
  };
}

/** Decodes the output words: the token, its logprob and the first `top` alternatives. */
export function decodeLogprobs(words: ArrayBuffer, top: number): { token: number; logprob: number; top: { id: number; logprob: number }[] } {
  const f = new Float32Array(words);
  const u = new Uint32Array(words);
  return {
    token: u[11],
    logprob: f[0],
    top: Array.from({ length: Math.min(top, LOGPROBS_TOP) }, (_, k) => ({ id: u[6 + k], logprob: f[1 + k] })),
  };
}
