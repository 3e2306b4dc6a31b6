// The CPU backend behind the TokenGenerator seam: the WebAssembly forward pass (src/cpu/) and the CPU sampler
// (cpu-sampler.ts: a wasm scan plus the TypeScript rest, token for token the reference src/reference/sample.ts, the
// semantics the GPU sampler implements), with the same counter-based RNG, so a seeded
// request draws the same way on both backends given the same logits. Supports allowed-token masks and logprobs.
import { CpuForward, type CpuForwardOptions } from '../cpu/forward.js';
import type { ByteSource, GgufHeader } from '../gguf/types.js';
import { countTokens, counterUniform } from '../reference/sample.js';
import { CpuSampler } from './cpu-sampler.js';
import { ModelError } from './errors.js';
import { checkStepOptions, type GeneratedToken, type StepOptions, type TokenAlternative, type TokenGenerator } from './generator.js';
import type { GemmaConfig } from './config.js';

export class CpuTokenGenerator implements TokenGenerator {
  readonly backend = 'cpu' as const;
  private history = new Map<number, number>();
  private readonly sampler: CpuSampler;

  constructor(readonly forward: CpuForward) {
    this.sampler = new CpuSampler(forward.products.kernels, forward.config.vocabSize);
  }

  static async load(source: ByteSource, header: GgufHeader, config: GemmaConfig, options: CpuForwardOptions = {}): Promise<CpuTokenGenerator> {
    return new CpuTokenGenerator(await CpuForward.load(source, header, config, options));
  }

  get config(): GemmaConfig {
    return this.forward.config;
  }
  get contextLength(): number {
    return this.forward.contextLength;
  }
  get position(): number {
    return this.forward.length;
  }
  set position(p: number) {
    if (!Number.isInteger(p) || p < 0 || p > this.forward.length) {
      throw new ModelError('BAD_STEP_OPTION', `position can only move back, to [0, ${this.forward.length}]; got ${p}`);
    }
    this.forward.rewind(p);
  }

  reset(): void {
    this.forward.reset();
  }

  resetHistory(tokens: Iterable<number> = []): void {
    this.history = countTokens(tokens);
  }

  async prefill(tokens: readonly number[], o: StepOptions): Promise<GeneratedToken | undefined> {
    return this.step(tokens, o);
  }

  async next(token: number, o: StepOptions): Promise<GeneratedToken> {
    return (await this.step([token], o))!;
  }

  private async step(tokens: readonly number[], o: StepOptions): Promise<GeneratedToken | undefined> {
    const V = this.config.vocabSize;
    checkStepOptions(o, V, true);
    if (tokens.length === 0) throw new ModelError('BAD_STEP_OPTION', 'A step needs at least one token.');
    for (const t of tokens) {
      if (!Number.isInteger(t) || t < 0 || t >= V) throw new ModelError('TOKEN_OUT_OF_RANGE', `Token id ${t} is outside the vocabulary [0, ${V}).`, { token: t });
    }
    if (this.position + tokens.length > this.contextLength) {
      throw new ModelError('CONTEXT_OVERFLOW', `${this.position + tokens.length} tokens exceed the context length ${this.contextLength}.`);
    }
    // The row stays in wasm memory (a view, no copy): the scan reads it there, the merge and logprobs through the view.
    const rows = await this.forward.run(tokens, 'last', { signal: o.signal, copyLogits: false });
    if (this.forward.aborted) return undefined;
    const logits = rows[0];
    // One wasm pass over the logits still in wasm memory: the non-finite count and the best K candidates.
    const prepared = this.sampler.prepare(this.forward.logitsAddress, logits, o.sampling, this.history, o.mask);
    if (prepared.nonFinite > 0) {
      throw new ModelError('NON_FINITE_LOGITS', 'The model produced non-finite logits (NaN or infinity); the weights or a kernel are broken.', {
        position: this.position,
      });
    }
    // The sampler applies the mask itself: a -inf written here would read as a non-finite model logit there.
    const mask = o.mask;
    if (mask && !maskAllowsAny(mask, V)) {
      throw new ModelError('BAD_STEP_OPTION', 'The allowed-token mask allows no token.');
    }
    const token = prepared.sample(() => counterUniform(o.sampling.seed, o.step));
    this.history.set(token, (this.history.get(token) ?? 0) + 1);
    return o.topLogprobs === undefined ? { token } : { token, logprobs: logprobsOf(logits, token, o.topLogprobs) };
  }

  destroy(): void {
    this.forward.close();
  }
}

/** Whether bit i of the packed mask is set for some token i < V (word by word: no per-token array). */
function maskAllowsAny(mask: ArrayLike<number>, V: number): boolean {
  const full = V >>> 5;
  for (let w = 0; w < full; w++) if (mask[w] !== 0) return true;
  const rest = V & 31;
  return rest > 0 && (mask[full] & ((1 << rest) - 1)) !== 0;
}

/** Log-softmax of the softcapped logits (temperature 1, no bias): the chosen token's and the k most likely. */
function logprobsOf(logits: Float32Array, token: number, k: number): { logprob: number; top: TokenAlternative[] } {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  const top: TokenAlternative[] = [];
  if (k > 0) {
    const best: number[] = [];
    for (let i = 0; i < logits.length; i++) {
      if (best.length < k || logits[i] > logits[best[best.length - 1]]) {
        best.push(i);
        best.sort((a, b) => logits[b] - logits[a] || a - b);
        if (best.length > k) best.pop();
      }
    }
    for (const id of best) top.push({ id, logprob: logits[id] - lse });
  }
  return { logprob: logits[token] - lse, top };
}
