// Sampling parameters at the runtime boundary: Gemma 4's defaults and validation with a typed error. The exact
// sampling semantics are defined by the CPU reference (src/reference/sample.ts) that the GPU sampler implements.
import type { SamplingParams } from '../model/generator.js';

export type { SamplingParams } from '../model/generator.js';

/** Gemma 4's recommended sampling (gemma4-io.md §4): temperature 1, top_k 64, top_p 0.95; no min_p, no penalties. */
export const DEFAULT_SAMPLING_PARAMS: SamplingParams = Object.freeze({
  temperature: 1,
  topK: 64,
  topP: 0.95,
  minP: 0,
  repetitionPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  logitBias: Object.freeze({}),
  seed: 0,
});

export class SamplingParamsError extends Error {
  override readonly name = 'SamplingParamsError';
  readonly code = 'INVALID_SAMPLING_PARAMS';
  constructor(
    readonly field: keyof SamplingParams,
    readonly value: unknown,
    message: string,
  ) {
    super(`${field}: ${message} (got ${String(value)})`);
  }
}

/** Defaults overlaid with `params`, validated (throws SamplingParamsError). vocabSize, when given, bounds bias ids. */
export function resolveSamplingParams(params: Partial<SamplingParams> = {}, vocabSize?: number): SamplingParams {
  const defined = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  const p: SamplingParams = { ...DEFAULT_SAMPLING_PARAMS, ...defined };
  validateSamplingParams(p, vocabSize);
  return Object.freeze({ ...p, logitBias: Object.freeze({ ...p.logitBias }) });
}

export function validateSamplingParams(p: SamplingParams, vocabSize?: number): void {
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!finite(p.temperature) || p.temperature < 0) {
    throw new SamplingParamsError('temperature', p.temperature, 'must be a finite number >= 0 (0 = greedy)');
  }
  if (!Number.isInteger(p.topK) || p.topK < 0) {
    throw new SamplingParamsError('topK', p.topK, 'must be an integer >= 0 (0 = disabled)');
  }
  if (!finite(p.topP) || p.topP <= 0 || p.topP > 1) throw new SamplingParamsError('topP', p.topP, 'must be in (0, 1]');
  if (!finite(p.minP) || p.minP < 0 || p.minP > 1) throw new SamplingParamsError('minP', p.minP, 'must be in [0, 1]');
  if (!finite(p.repetitionPenalty) || p.repetitionPenalty <= 0) {
    throw new SamplingParamsError('repetitionPenalty', p.repetitionPenalty, 'must be a finite number > 0 (1 = off)');
  }
  if (!finite(p.presencePenalty)) throw new SamplingParamsError('presencePenalty', p.presencePenalty, 'must be a finite number');
  if (!finite(p.frequencyPenalty)) throw new SamplingParamsError('frequencyPenalty', p.frequencyPenalty, 'must be a finite number');
  if (typeof p.logitBias !== 'object' || p.logitBias === null || Array.isArray(p.logitBias)) {
    throw new SamplingParamsError('logitBias', p.logitBias, 'must be an object mapping token ids to numbers');
  }
  for (const [key, bias] of Object.entries(p.logitBias)) {
    const id = Number(key);
    if (!/^\d+$/.test(key) || !Number.isSafeInteger(id) || (vocabSize !== undefined && id >= vocabSize)) {
      throw new SamplingParamsError('logitBias', key, `keys must be token ids in [0, ${vocabSize ?? '2^53'})`);
    }
    if (!finite(bias)) throw new SamplingParamsError('logitBias', bias, `the bias of token ${key} must be a finite number`);
  }
  if (!Number.isInteger(p.seed) || p.seed < 0 || p.seed > 0xffffffff) {
    throw new SamplingParamsError('seed', p.seed, 'must be an integer in [0, 2^32)');
  }
}
