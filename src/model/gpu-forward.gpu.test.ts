// The whole GPU forward pass against the CPU reference on generated Gemma-4-shaped models of every tensor type:
// logits for prefill (all rows) and decode (one token at a time) within a stated tolerance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_MIXES, SHAPES, uniformMix, type FixtureOptions } from '../../scripts/fixtures/gemma-fixture.js';
import { buildReferenceModel } from '../../scripts/fixtures/load-fixture.js';
import { GgmlType } from '../gguf/types.js';
import { createGpuContext, type GpuContext } from '../gpu/context.js';
import { createReferenceState, forwardReference } from '../reference/forward.js';
import { GemmaModel } from './gemma-model.js';

// Tolerance: f32 GPU vs f64 reference through 5-6 layers of random weights. |gpu - ref| <= ATOL + RTOL * |ref|.
const ATOL = 2e-3;
const RTOL = 2e-3;
const TOKENS = [2, 105, 500, 501, 17, 494, 510, 600, 3, 88, 106, 107, 520, 530, 540, 550, 560, 570, 580, 590, 23];

function worst(gpu: Float32Array, ref: Float32Array): number {
  let w = 0;
  for (let i = 0; i < ref.length; i++) w = Math.max(w, Math.abs(gpu[i] - ref[i]) / (ATOL + RTOL * Math.abs(ref[i])));
  return w;
}

let ctx: GpuContext;
beforeAll(async () => (ctx = await createGpuContext()));
afterAll(() => ctx?.destroy());

const cases: Array<[string, FixtureOptions]> = [
  ['F32', { shape: SHAPES.tiny, mix: uniformMix(GgmlType.F32), seed: 21 }],
  ['q4_k_m mix (K-quants)', { shape: SHAPES.kquant, mix: REAL_MIXES.q4_k_m, seed: 22 }],
];

describe.each(cases)('GPU forward vs reference: %s', (_name, options) => {
  let ref: Awaited<ReturnType<typeof buildReferenceModel>>;
  let expected: Float32Array[];
  beforeAll(async () => {
    ref = await buildReferenceModel(options);
    expected = forwardReference(ref.config, ref.weights, createReferenceState(ref.config), TOKENS, { logits: 'all' });
  });

  it('prefill logits of every row (chunks 16 + 4 + 1)', async () => {
    const model = await GemmaModel.load(ctx, ref.source, ref.header, { contextLength: 256, chunkSizes: [16, 4] });
    const { logits } = await model.run(TOKENS, 'all', { readLogits: true });
    expect(logits.length).toBe(TOKENS.length);
    const ratios = logits.map((row, i) => worst(row, expected[i]));
    expect(Math.max(...ratios)).toBeLessThan(1);
  });

  it('decode logits one token at a time, and last-row prefill with the shared-layer skip', async () => {
    const model = await GemmaModel.load(ctx, ref.source, ref.header, { contextLength: 256, chunkSizes: [16, 4] });
    const ratios: number[] = [];
    for (let i = 0; i < TOKENS.length; i++) {
      const { logits } = await model.run([TOKENS[i]], 'last', { readLogits: true });
      ratios.push(worst(logits[0], expected[i]));
    }
    expect(Math.max(...ratios)).toBeLessThan(1);
    model.reset();
    const { logits } = await model.run(TOKENS.slice(0, 20), 'last', { readLogits: true });
    expect(worst(logits[0], expected[19])).toBeLessThan(1);
  });
});
