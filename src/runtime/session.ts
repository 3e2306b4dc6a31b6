// A generation session over a TokenGenerator (any backend): prompt ids in, generated ids out. Keeps the ids whose
// K/V the cache holds and reuses the longest common prefix with the next prompt; prefills the rest (abortable
// between chunks), then decodes one token per step until a stop id, the token limit, the context end, an abort,
// or the caller's stop (a stop string). No GPU types here.
import type { AbortFlag, GeneratedToken, SamplingParams, TokenGenerator } from '../model/generator.js';
import { RuntimeError } from './errors.js';

export type FinishReason = 'stop' | 'length' | 'abort';

export interface GenerationRequest {
  /** The whole prompt (the rendered conversation), as ids. */
  readonly prompt: readonly number[];
  /** Most tokens to generate (the context end also stops generation, with 'length'). */
  readonly maxTokens: number;
  readonly sampling: SamplingParams;
  /** Ids that end generation; the stop id is reported, not counted among the tokens. */
  readonly stopIds: ReadonlySet<number>;
  /** 0-5: ask the generator for log-probabilities of each generated token. */
  readonly topLogprobs?: number;
  /** Reuse the cached prefix (default true). Seeded requests turn it off so their numbers never depend on history. */
  readonly reusePrefix?: boolean;
  /** RNG counter of the first generated token; token i uses stepBase + i (n > 1 choices start far apart). */
  readonly stepBase?: number;
  readonly signal?: AbortFlag;
  /** Each generated token (never the stop id); return true to stop right after it (finish 'stop'). */
  readonly onToken?: (t: GeneratedToken, index: number) => boolean | void;
  /**
   * Test hook: these ids replace the sampled ones, one per step, and are fed back into the model as if sampled, so
   * a random-weight fixture can be driven through tool calls and stop paths. Never set by the public API.
   */
  readonly forcedTokens?: readonly number[];
}

export interface GenerationResult {
  readonly tokens: number[];
  readonly finishReason: FinishReason;
  /** The stop id that ended generation, when one did. */
  readonly stopToken?: number;
  /** Prompt ids prefilled in this round (the prompt minus the reused prefix). */
  readonly prefilledTokens: number;
  readonly reusedTokens: number;
  /** Milliseconds from the start to the first generated token (prefill). */
  readonly prefillMs: number;
  /** Milliseconds of the decode steps after the first token. */
  readonly decodeMs: number;
}

export class Session {
  /** Ids whose K/V are in the cache, in order (always generator.position of them). */
  private cached: number[] = [];

  constructor(readonly generator: TokenGenerator) {}

  /** Ids the KV cache holds (read-only view, for tests and statistics). */
  get cachedTokens(): readonly number[] {
    return this.cached;
  }

  reset(): void {
    this.cached = [];
    this.generator.reset();
  }

  async generate(req: GenerationRequest): Promise<GenerationResult> {
    const g = this.generator;
    const prompt = req.prompt;
    if (prompt.length === 0) throw new RuntimeError('EMPTY_PROMPT', 'The prompt is empty: send at least one message.');
    const limit = g.contextLength;
    if (prompt.length >= limit) {
      throw new RuntimeError(
        'CONTEXT_WINDOW_EXCEEDED',
        `The prompt has ${prompt.length} tokens but the context window holds ${limit}. Shorten the conversation or load the model with a larger context.`,
        { promptTokens: prompt.length, contextWindowSize: limit },
      );
    }
    if (!(Number.isInteger(req.maxTokens) && req.maxTokens >= 1)) {
      throw new RuntimeError('BAD_REQUEST', `maxTokens must be a positive integer, got ${req.maxTokens}.`);
    }
    const stepBase = req.stepBase ?? 0;
    const t0 = performance.now();
    const aborted = (): GenerationResult => ({
      tokens: [],
      finishReason: 'abort',
      prefilledTokens: 0,
      reusedTokens: 0,
      prefillMs: performance.now() - t0,
      decodeMs: 0,
    });
    if (req.signal?.aborted) return aborted();

    // Reuse the cached prefix; the last prompt id always runs again, for its logits.
    let reuse = 0;
    if (req.reusePrefix ?? true) {
      while (reuse < this.cached.length && reuse < prompt.length - 1 && this.cached[reuse] === prompt[reuse]) reuse++;
    }
    g.position = Math.min(reuse, g.position);
    this.cached.length = g.position;
    g.resetHistory();
    const step = (i: number) => ({ sampling: req.sampling, step: (stepBase + i) >>> 0, topLogprobs: req.topLogprobs });

    const rest = prompt.slice(reuse);
    let out = await g.prefill(rest, { ...step(0), signal: req.signal });
    if (!out) {
      this.cached.push(...rest.slice(0, g.position - reuse));
      return { ...aborted(), prefilledTokens: g.position - reuse, reusedTokens: reuse };
    }
    this.cached.push(...rest);
    const t1 = performance.now();

    const forced = req.forcedTokens ?? [];
    const tokens: number[] = [];
    let finishReason: FinishReason = 'length';
    let stopToken: number | undefined;
    for (let i = 0; ; i++) {
      if (i < forced.length) out = { ...out, token: forced[i] };
      const token = out.token;
      if (req.stopIds.has(token)) {
        finishReason = 'stop';
        stopToken = token;
        break;
      }
      tokens.push(token);
      if (req.onToken?.(out, i) === true) {
        finishReason = 'stop';
        break;
      }
      if (tokens.length >= req.maxTokens || g.position >= limit) break;
      if (req.signal?.aborted) {
        finishReason = 'abort';
        break;
      }
      out = await g.next(token, step(i + 1));
      this.cached.push(token);
    }
    return {
      tokens,
      finishReason,
      stopToken,
      prefilledTokens: rest.length,
      reusedTokens: reuse,
      prefillMs: t1 - t0,
      decodeMs: performance.now() - t1,
    };
  }

  destroy(): void {
    this.generator.destroy();
  }
}
