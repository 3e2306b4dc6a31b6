// A generation session: prompt tokens in, streamed text out. Reuses the KV cache for the longest common prefix
// with the previous request, prefills the rest, then decodes with the GPU sampler (one 4-byte read per token).
import { StagingReader } from '../gpu/readback.js';
import type { GpuContext } from '../gpu/context.js';
import { createGpuSampler, type GpuSampler } from '../kernels/sample.js';
import type { GemmaModel } from '../model/gemma-model.js';
import { resolveSamplingParams, type SamplingParams } from './sampler.js';
import type { Tokenizer } from './tokenizer.js';

export type FinishReason = 'stop' | 'length' | 'abort' | 'context_full';

export interface SessionRequest {
  readonly promptTokens: readonly number[];
  readonly maxTokens: number;
  readonly sampling?: Partial<SamplingParams>;
  /** Token ids that end generation (default: the tokenizer's stop ids). */
  readonly stopIds?: readonly number[];
  readonly signal?: { readonly aborted: boolean };
  readonly onToken?: (id: number, text: string) => void;
}

export interface SessionResult {
  readonly tokens: number[];
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly promptTokens: number;
  readonly reusedTokens: number;
  readonly prefillMs: number;
  readonly decodeMs: number;
  readonly dispatchesPerToken: number;
}

export class Session {
  /** Tokens whose K/V are in the cache, in order. */
  private cached: number[] = [];
  private readonly sampler: GpuSampler;
  private readonly reader: StagingReader;
  private requestCount = 0;

  constructor(
    private readonly ctx: GpuContext,
    readonly model: GemmaModel,
    readonly tokenizer: Tokenizer,
  ) {
    this.sampler = createGpuSampler(ctx, {
      logits: model.forward.logits,
      vocabSize: model.config.vocabSize,
      step: model.forward.decode.step,
      softcap: model.config.finalLogitSoftcap,
    });
    this.reader = new StagingReader(ctx, 4);
  }

  reset(): void {
    this.cached = [];
    this.model.reset();
  }

  async generate(req: SessionRequest): Promise<SessionResult> {
    const prompt = req.promptTokens;
    if (prompt.length === 0) throw new RangeError('the prompt is empty');
    const params = resolveSamplingParams(req.sampling ?? {}, this.model.config.vocabSize);
    const stop = new Set(req.stopIds ?? this.tokenizer.stopIds);
    const seed = req.sampling?.seed ?? (Math.random() * 2 ** 32) >>> 0;
    const limit = this.model.contextLength;
    if (prompt.length >= limit) {
      throw new RangeError(`The prompt has ${prompt.length} tokens; the context holds ${limit}. Shorten the conversation.`);
    }
    this.sampler.setParams(params);
    this.sampler.resetHistory();
    const after = this.sampler.ops();
    const copyAfter = (e: GPUCommandEncoder) => this.reader.copyFrom(e, this.sampler.outputToken);

    // Reuse the cached prefix; at least the last prompt token is recomputed to get its logits.
    let reuse = 0;
    while (reuse < this.cached.length && reuse < prompt.length - 1 && this.cached[reuse] === prompt[reuse]) reuse++;
    this.model.position = reuse;
    this.cached = prompt.slice(0, reuse);
    const stepBase = this.requestCount++ * 1_000_003;

    const t0 = performance.now();
    let run = await this.model.run(prompt.slice(reuse), 'last', { after, copyAfter, step: stepBase, seed });
    this.cached.push(...prompt.slice(reuse));
    let token = new Uint32Array(await this.reader.read())[0];
    const t1 = performance.now();

    const decoder = this.tokenizer.createStreamDecoder();
    const tokens: number[] = [];
    let text = '';
    let finishReason: FinishReason = 'length';
    let decodeDispatches = 0;
    for (let i = 0; ; i++) {
      if (stop.has(token)) {
        finishReason = 'stop';
        break;
      }
      tokens.push(token);
      const piece = decoder.push(token);
      text += piece;
      req.onToken?.(token, piece);
      if (tokens.length >= req.maxTokens) break;
      if (req.signal?.aborted) {
        finishReason = 'abort';
        break;
      }
      if (this.model.position >= limit) {
        finishReason = 'context_full';
        break;
      }
      run = await this.model.run([token], 'last', { after, copyAfter, step: stepBase + i + 1, seed });
      decodeDispatches += run.dispatches;
      this.cached.push(token);
      token = new Uint32Array(await this.reader.read())[0];
    }
    const rest = decoder.flush();
    if (rest) {
      text += rest;
      req.onToken?.(-1, rest);
    }
    const t2 = performance.now();
    return {
      tokens,
      text,
      finishReason,
      promptTokens: prompt.length,
      reusedTokens: reuse,
      prefillMs: t1 - t0,
      decodeMs: t2 - t1,
      dispatchesPerToken: tokens.length > 1 ? decodeDispatches / (tokens.length - 1) : 0,
    };
  }

  destroy(): void {
    this.sampler.destroy();
    this.reader.destroy();
  }
}
