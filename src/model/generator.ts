// TokenGenerator: the seam between the runtime (tokens, text, sessions) and a compute backend. A generator owns its
// KV cache position, sampler, readback and RNG step; the runtime hands it token ids and per-step options and gets
// token ids back. The WebGPU backend is GpuTokenGenerator below; a CPU (WebAssembly) backend implements the same
// interface in src/cpu/. The runtime never sees a GPU type.
import { StagingReader } from '../gpu/readback.js';
import type { GpuContext } from '../gpu/context.js';
import type { BoundOp } from '../gpu/kernel.js';
import { createGpuSampler, type GpuSampler, type GpuSamplingParams } from '../kernels/sample.js';
import type { GemmaConfig } from './config.js';
import { ModelError } from './errors.js';
import type { GemmaModel } from './gemma-model.js';

/** The sampler's parameters plus the RNG seed (semantics: src/reference/sample.ts; defaults: runtime/sampling-params.ts). */
export interface SamplingParams extends GpuSamplingParams {
  /** u32 seed of the counter-based RNG (the draw at step s uses counterUniform(seed, s)). */
  readonly seed: number;
}

export type GeneratorBackend = 'webgpu' | 'cpu';

/** Most alternatives a step can report with its token (OpenAI's top_logprobs range is 0-5). */
export const MAX_TOP_LOGPROBS = 5;

/** Read between prefill chunks and by the caller between decode steps. */
export interface AbortFlag {
  readonly aborted: boolean;
}

/** What a prefill or decode step needs besides the input tokens. */
export interface StepOptions {
  /** Validated parameters (runtime/sampling-params.ts). The same object on consecutive steps costs nothing. */
  readonly sampling: SamplingParams;
  /**
   * RNG counter of this draw. Reproducibility: the same seed, params, prompt and step give the same token, whatever
   * ran before (the session uses step = index of the generated token within its choice).
   */
  readonly step: number;
  /** 0-5: also return the chosen token's log-probability and this many most likely alternatives; undefined = none. */
  readonly topLogprobs?: number;
  /**
   * Allowed-token bitmask: bit (id & 31) of word (id >> 5) set = id may be sampled; ceil(vocabSize / 32) words.
   * Added by the constraints work; until a backend implements it, passing one throws ModelError UNSUPPORTED_OPTION.
   */
  readonly mask?: Uint32Array;
  /** Prefill only: checked between chunks; when set the prefill stops early and returns undefined. */
  readonly signal?: AbortFlag;
}

export interface TokenAlternative {
  readonly id: number;
  /** Natural log of the probability under the model's distribution (softcapped logits, temperature 1, no bias). */
  readonly logprob: number;
}

export interface TokenLogprobs {
  readonly logprob: number;
  /** Most likely tokens first, `topLogprobs` of them. */
  readonly top: readonly TokenAlternative[];
}

export interface GeneratedToken {
  readonly token: number;
  /** Present when the step asked for topLogprobs. */
  readonly logprobs?: TokenLogprobs;
}

export interface TokenGenerator {
  readonly backend: GeneratorBackend;
  readonly config: GemmaConfig;
  /** Positions the KV cache holds. */
  readonly contextLength: number;
  /**
   * Tokens in the KV cache. Settable (to at most its current value) for prefix reuse: the next step writes there
   * and everything after it is forgotten.
   */
  position: number;
  /** Forgets the conversation: position 0. */
  reset(): void;
  /** Replaces the penalty history (the tokens repetition/presence/frequency penalties see); [] at a request's start. */
  resetHistory(tokens?: Iterable<number>): void;
  /**
   * Runs `tokens` (at least one) from `position` and samples the token after the last one; undefined when
   * `signal` was set between chunks (position then counts the chunks that ran).
   */
  prefill(tokens: readonly number[], options: StepOptions): Promise<GeneratedToken | undefined>;
  /** Runs one token and samples the next. */
  next(token: number, options: StepOptions): Promise<GeneratedToken>;
  destroy(): void;
}

/** The value the GPU sampler writes instead of an id when the logits were not finite (faults work). */
export const NON_FINITE_SENTINEL = 0xffffffff;

/** Throws unless the options are ones this backend implements, with values in range (shared by backends). */
export function checkStepOptions(o: StepOptions, vocabSize: number, supportsMask: boolean): void {
  if (!Number.isInteger(o.step) || o.step < 0 || o.step > 0xffffffff) {
    throw new ModelError('BAD_STEP_OPTION', `step must be an integer in [0, 2^32), got ${o.step}`);
  }
  if (o.topLogprobs !== undefined && !(Number.isInteger(o.topLogprobs) && o.topLogprobs >= 0 && o.topLogprobs <= MAX_TOP_LOGPROBS)) {
    throw new ModelError('BAD_STEP_OPTION', `topLogprobs must be an integer in [0, ${MAX_TOP_LOGPROBS}], got ${o.topLogprobs}`);
  }
  if (o.mask !== undefined) {
    if (!supportsMask) {
      throw new ModelError('UNSUPPORTED_OPTION', 'This backend cannot apply an allowed-token mask yet (the constrained-decoding work adds it).');
    }
    const words = Math.ceil(vocabSize / 32);
    if (o.mask.length !== words) throw new ModelError('BAD_STEP_OPTION', `mask must have ${words} words, got ${o.mask.length}`);
  }
}

/** The WebGPU backend: the model's forward pass, the GPU sampler in the same submit, one small read per token. */
export class GpuTokenGenerator implements TokenGenerator {
  readonly backend = 'webgpu' as const;
  private readonly sampler: GpuSampler;
  private readonly reader: StagingReader;
  private lastParams: SamplingParams | undefined;
  /** Dispatches of the last step, sampler included (benchmarks). */
  lastDispatches = 0;

  constructor(
    ctx: GpuContext,
    readonly model: GemmaModel,
  ) {
    this.sampler = createGpuSampler(ctx, {
      logits: model.forward.logits,
      vocabSize: model.config.vocabSize,
      step: model.forward.decode.step,
      softcap: model.config.finalLogitSoftcap,
    });
    this.reader = new StagingReader(ctx, 4);
  }

  get config(): GemmaConfig {
    return this.model.config;
  }
  get contextLength(): number {
    return this.model.contextLength;
  }
  get position(): number {
    return this.model.position;
  }
  set position(p: number) {
    if (!Number.isInteger(p) || p < 0 || p > this.model.position) {
      throw new ModelError('BAD_STEP_OPTION', `position can only move back, to [0, ${this.model.position}]; got ${p}`);
    }
    this.model.position = p;
  }

  reset(): void {
    this.model.reset();
  }

  resetHistory(tokens: Iterable<number> = []): void {
    this.sampler.resetHistory(tokens);
  }

  async prefill(tokens: readonly number[], o: StepOptions): Promise<GeneratedToken | undefined> {
    return this.step(tokens, o);
  }

  async next(token: number, o: StepOptions): Promise<GeneratedToken> {
    return (await this.step([token], o))!;
  }

  private async step(tokens: readonly number[], o: StepOptions): Promise<GeneratedToken | undefined> {
    checkStepOptions(o, this.model.config.vocabSize, false);
    if (o.topLogprobs !== undefined) {
      throw new ModelError('UNSUPPORTED_OPTION', 'Log-probabilities are not available on this backend yet.');
    }
    if (tokens.length === 0) throw new ModelError('BAD_STEP_OPTION', 'A step needs at least one token.');
    const V = this.model.config.vocabSize;
    for (const t of tokens) {
      if (!Number.isInteger(t) || t < 0 || t >= V) throw new ModelError('TOKEN_OUT_OF_RANGE', `Token id ${t} is outside the vocabulary [0, ${V}).`, { token: t });
    }
    if (this.model.position + tokens.length > this.model.contextLength) {
      throw new ModelError('CONTEXT_OVERFLOW', `${this.model.position + tokens.length} tokens exceed the context length ${this.model.contextLength}.`);
    }
    if (o.sampling !== this.lastParams) {
      this.sampler.setParams(o.sampling);
      this.lastParams = o.sampling;
    }
    const run = await this.model.run(tokens, 'last', {
      after: this.sampler.ops(),
      copyAfter: (e) => this.reader.copyFrom(e, this.sampler.outputToken),
      step: o.step,
      seed: o.sampling.seed,
      signal: o.signal,
    });
    if (run.aborted) return undefined;
    this.lastDispatches = run.dispatches + this.sampler.ops().length;
    const token = new Uint32Array(await this.reader.read())[0];
    if (token === NON_FINITE_SENTINEL) {
      throw new ModelError('NON_FINITE_LOGITS', 'The model produced non-finite logits (NaN or infinity); the weights or a kernel are broken.', {
        position: this.model.position,
      });
    }
    if (token >= V) throw new ModelError('TOKEN_OUT_OF_RANGE', `The sampler returned id ${token}, outside the vocabulary [0, ${V}).`, { token });
    return { token };
  }

  /** The sampler's bound ops for the current parameters (per-op profiling in the benchmark). */
  samplerOps(): readonly BoundOp[] {
    return this.sampler.ops();
  }

  destroy(): void {
    this.sampler.destroy();
    this.reader.destroy();
  }
}
