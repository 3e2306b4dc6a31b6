// Test doubles for Node tests of the runtime and the engine's chat path: a tokenizer over the synthetic
// Gemma-4-shaped vocabulary (real control-token ids) and a scripted TokenGenerator (no model: it returns the
// ids it was given, one per step, and records what it was fed). Used only where no real model can run (Node).
import { buildSyntheticVocab } from '../scripts/fixtures/synthetic-vocab.js';
import type { GemmaConfig } from '../src/model/config.js';
import type { GeneratedToken, StepOptions, TokenGenerator } from '../src/model/generator.js';
import { Tokenizer } from '../src/runtime/tokenizer/tokenizer.js';

export function fixtureTokenizer(size = 640): Tokenizer {
  const v = buildSyntheticVocab(size);
  return Tokenizer.fromVocab({ ...v, bosId: 2, eosId: 1, unknownId: 3, paddingId: 0 });
}

export class ScriptedGenerator implements TokenGenerator {
  readonly backend = 'cpu' as const;
  readonly config = { vocabSize: 640 } as GemmaConfig;
  position = 0;
  /** Every prefill's tokens, in order. */
  readonly prefills: number[][] = [];
  /** Every step's options. */
  readonly steps: StepOptions[] = [];
  private cursor = 0;

  constructor(
    /** The ids to return, one per step (prefill counts as one); after the end, `fill` forever. */
    private script: readonly number[],
    readonly contextLength = 256,
    private readonly fill = 500,
  ) {}

  setScript(script: readonly number[]): void {
    this.script = script;
    this.cursor = 0;
  }

  reset(): void {
    this.position = 0;
  }
  resetHistory(): void {}

  async prefill(tokens: readonly number[], o: StepOptions): Promise<GeneratedToken | undefined> {
    this.prefills.push([...tokens]);
    this.steps.push(o);
    if (o.signal?.aborted) {
      this.position += Math.min(tokens.length, 1);
      return undefined;
    }
    this.position += tokens.length;
    return this.out(o);
  }

  async next(_token: number, o: StepOptions): Promise<GeneratedToken> {
    this.steps.push(o);
    this.position += 1;
    return this.out(o);
  }

  private out(o: StepOptions): GeneratedToken {
    const token = this.cursor < this.script.length ? this.script[this.cursor++] : this.fill;
    return o.topLogprobs === undefined ? { token } : { token, logprobs: { logprob: -0.5, top: Array.from({ length: o.topLogprobs }, (_, i) => ({ id: token + i, logprob: -0.5 - i })) } };
  }

  destroy(): void {}
}
