// Generation on the CPU reference forward with an optional output constraint: each step the constraint's mask is
// applied to the (softcapped) logits before the CPU sampler, then the sampled token is fed back to the matcher.
// Used by the validity tests (src/runtime/constraints/validity.test.ts) and the benchmark (bench-constraints.ts).
import type { GemmaConfig } from '../src/model/config.js';
import { createReferenceState, forwardReference } from '../src/reference/forward.js';
import type { ReferenceWeights } from '../src/reference/weights.js';
import { maskAllows } from '../src/reference/token-mask.js';
import type { TokenConstraint } from '../src/runtime/constraints/token-constraint.js';
import type { SamplingParams } from '../src/model/generator.js';
import { counterUniform, sampleCpu } from '../src/reference/sample.js';

export const STOP_IDS: readonly number[] = [1, 106, 50];

export interface CpuGeneration {
  readonly tokens: number[];
  /** A stop token was sampled within maxTokens. */
  readonly finished: boolean;
  readonly forwardSeconds: number;
  /** Seconds in the constraint (masks + accepts), over all steps. */
  readonly constraintSeconds: number;
  readonly maskedSteps: number;
}

export function generateOnCpu(
  model: { config: GemmaConfig; weights: ReferenceWeights },
  prompt: readonly number[],
  params: SamplingParams,
  maxTokens: number,
  constraint?: TokenConstraint,
): Promise<CpuGeneration> {
  return (async () => {
    const state = createReferenceState(model.config);
    const tokens: number[] = [];
    const history = new Map<number, number>();
    let forwardSeconds = 0;
    let constraintSeconds = 0;
    let maskedSteps = 0;
    let input: readonly number[] = prompt;
    for (let step = 0; step < maxTokens; step++) {
      const t0 = performance.now();
      const [row] = forwardReference(model.config, model.weights, state, input, { logits: 'last' });
      const t1 = performance.now();
      forwardSeconds += (t1 - t0) / 1000;
      const mask = constraint ? await constraint.nextMask() : undefined;
      const t2 = performance.now();
      if (mask) maskedSteps++;
      const id = sampleCpu(row, params, history, () => counterUniform(params.seed, step), mask);
      if (mask && !maskAllows(mask, id)) throw new Error(`sampled token ${id} outside the mask`);
      const t3 = performance.now();
      constraint?.accept(id);
      constraintSeconds += (t2 - t1 + performance.now() - t3) / 1000;
      tokens.push(id);
      history.set(id, (history.get(id) ?? 0) + 1);
      if (STOP_IDS.includes(id)) return { tokens, finished: true, forwardSeconds, constraintSeconds, maskedSteps };
      input = [id];
    }
    return { tokens, finished: false, forwardSeconds, constraintSeconds, maskedSteps };
  })();
}
