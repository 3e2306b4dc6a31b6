// One request's constraint state: which tokens the next step may take (a 262,144-bit mask, or none) and the
// matcher fed with every sampled token. Phases:
//   thinking-start -> (the model opens <|channel>) thinking, unconstrained until <channel|> -> active
//   free (tool_choice auto) -> (the model writes <|tool_call>) active
//   active: XGrammar's mask, minus every special token the grammar does not name
// A step whose mask allows nothing is a DEAD_END error, never a hang or an invented token.
import type { GrammarMatcher } from '@mlc-ai/web-xgrammar';
import { ConstraintError } from './errors.js';
import type { CompiledConstraint } from './grammar-engine.js';
import type { GrammarVocabulary } from './grammar-vocabulary.js';

/** Gemma 4 thought channel tokens (gemma4-io.md §2.6). */
export const CHANNEL_OPEN = 100;
export const CHANNEL_CLOSE = 101;

export interface TokenConstraintOptions {
  /** Thinking is on: the model may first write a thought block, which stays unconstrained. */
  readonly thinking?: boolean;
}

function isEmpty(mask: Uint32Array): boolean {
  for (let w = 0; w < mask.length; w++) if (mask[w] !== 0) return false;
  return true;
}

type Phase = 'thinking-start' | 'thinking' | 'free' | 'active' | 'done';
const now = () => performance.now() / 1000;

export class TokenConstraint {
  private phase: Phase;
  private readonly blocked: number[];
  private seconds = 0;
  private steps = 0;
  readonly words: number;

  constructor(
    private readonly matcher: GrammarMatcher,
    private readonly vocab: GrammarVocabulary,
    private readonly c: CompiledConstraint,
    options: TokenConstraintOptions,
  ) {
    this.phase = c.triggerId !== undefined ? 'free' : options.thinking ? 'thinking-start' : 'active';
    this.blocked = [...vocab.sentinels.keys()].filter((id) => !c.allowedSpecials.has(id));
    this.words = Math.ceil(vocab.vocabSize / 32);
  }

  /** True while the next step is constrained (a mask must be applied). */
  get constrained(): boolean {
    return this.phase === 'active' || this.phase === 'thinking-start';
  }

  /** The grammar reached its end (a stop token was accepted). */
  get done(): boolean {
    return this.phase === 'done';
  }

  /** Mean seconds of grammar work per constrained token (web-llm's grammar_per_token_s). */
  get secondsPerToken(): number {
    return this.steps ? this.seconds / this.steps : 0;
  }

  /** The allowed-token mask for the next step, or undefined when this step is unconstrained. */
  async nextMask(): Promise<Uint32Array | undefined> {
    if (!this.constrained) return undefined;
    const t0 = now();
    const raw = await this.matcher.getNextTokenBitmask();
    const mask = new Uint32Array(raw.buffer, raw.byteOffset, raw.length);
    for (const id of this.blocked) mask[id >>> 5] &= ~(1 << (id & 31));
    // High byte pieces only where nothing else continues the output (a character no ordinary piece spells).
    const bytes = this.vocab.highByteIds.map((id) => mask[id >>> 5] & (1 << (id & 31)));
    for (const id of this.vocab.highByteIds) mask[id >>> 5] &= ~(1 << (id & 31));
    if (isEmpty(mask)) this.vocab.highByteIds.forEach((id, k) => (mask[id >>> 5] |= bytes[k]));
    if (this.phase === 'thinking-start') mask[CHANNEL_OPEN >>> 5] |= 1 << (CHANNEL_OPEN & 31);
    this.seconds += now() - t0;
    this.steps++;
    if (isEmpty(mask)) {
      throw new ConstraintError('DEAD_END', 'the output constraint allows no next token (the grammar cannot continue); the request was ended', {
        reason: 'empty mask',
      });
    }
    return mask;
  }

  /** Feeds the sampled token. */
  accept(id: number): void {
    const t0 = now();
    switch (this.phase) {
      case 'thinking-start':
        if (id === CHANNEL_OPEN) {
          this.phase = 'thinking';
          break;
        }
        this.phase = 'active';
        this.feed(id);
        break;
      case 'thinking':
        if (id === CHANNEL_CLOSE) this.phase = 'active';
        break;
      case 'free':
        if (id === this.c.triggerId) {
          this.phase = 'active';
          this.feed(id);
        }
        break;
      case 'active':
        this.feed(id);
        break;
      case 'done':
        break;
    }
    this.seconds += now() - t0;
  }

  private feed(id: number): void {
    if (!this.matcher.acceptToken(id)) {
      throw new ConstraintError('DEAD_END', `token ${id} does not continue the output constraint (was it sampled without the mask?)`, { token: id });
    }
    if (this.matcher.isTerminated()) this.phase = 'done';
  }

  dispose(): void {
    this.matcher.dispose();
  }
}
