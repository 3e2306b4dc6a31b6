// The whole GPU forward pass against the CPU reference on generated Gemma-4-shaped models of every tensor type and
// the real files' mixes: logits of every prefill row and of single-token decode steps within a stated tolerance,
// tensors split below the binding limit, and 64 greedy tokens identical to the reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_MIXES, SHAPES, uniformMix, type FixtureOptions } from '../../scripts/fixtures/gemma-fixture.js';
import { buildReferenceModel } from '../../scripts/fixtures/load-fixture.js';
import { GgmlType } from '../gguf/types.js';
import { createGpuContext, type GpuContext } from '../gpu/context.js';
import { createReferenceState, forwardReference } from '../reference/forward.js';
import { GemmaModel } from './gemma-model.js';
import { GpuTokenGenerator, type SamplingParams } from './generator.js';

// Tolerance: f32 GPU vs f64 reference through 5-6 random layers: |gpu - ref| <= ATOL + RTOL * |ref| (logits are
// within ±30 after the softcap). Measured worst cases are printed by each test.
const ATOL = 2e-3;
const RTOL = 2e-3;
const TOKENS = [2, 105, 500, 501, 17, 494, 510, 600, 3, 88, 106, 107, 520, 530, 540, 550, 560, 570, 580, 590, 23];

type Ref = Awaited<ReturnType<typeof buildReferenceModel>>;

function ratio(gpu: Float32Array, ref: Float32Array): number {
  let w = 0;
  for (let i = 0; i < ref.length; i++) w = Math.max(w, Math.abs(gpu[i] - ref[i]) / (ATOL + RTOL * Math.abs(ref[i])));
  return w;
}

let ctx: GpuContext;
beforeAll(async () => (ctx = await createGpuContext()));
afterAll(() => ctx?.destroy());

const tiny = (type: GgmlType, seed: number): FixtureOptions => ({ shape: SHAPES.tiny, mix: uniformMix(type), seed });
const kq = (type: GgmlType, seed: number): FixtureOptions => ({ shape: SHAPES.kquant, mix: uniformMix(type), seed });
const cases: Array<[string, FixtureOptions]> = [
  ['F32', tiny(GgmlType.F32, 40)],
  ['F16', tiny(GgmlType.F16, 41)],
  ['BF16', tiny(GgmlType.BF16, 42)],
  ['Q8_0', tiny(GgmlType.Q8_0, 43)],
  ['Q4_0', tiny(GgmlType.Q4_0, 44)],
  ['Q4_1', tiny(GgmlType.Q4_1, 45)],
  ['Q5_0', tiny(GgmlType.Q5_0, 46)],
  ['Q5_1', tiny(GgmlType.Q5_1, 47)],
  ['Q4_K', kq(GgmlType.Q4_K, 48)],
  ['Q5_K', kq(GgmlType.Q5_K, 49)],
  ['Q6_K', kq(GgmlType.Q6_K, 50)],
  ['Google QAT Q4_0 mix', { shape: SHAPES.kquant, mix: REAL_MIXES['google-qat-q4_0'], seed: 51 }],
  ['ggml-org Q4_0 mix', { shape: SHAPES.tiny, mix: REAL_MIXES['ggml-org-q4_0'], seed: 52 }],
  ['Q4_K_M mix', { shape: SHAPES.kquant, mix: REAL_MIXES.q4_k_m, seed: 53 }],
  // ffn_gate and ffn_up of different types cannot be fused into one weight: the separate products run instead
  ['gate Q4_0, up Q8_0 (unfused)', { shape: SHAPES.tiny, mix: (n, l) => (/ffn_up\./.test(n) ? GgmlType.Q8_0 : uniformMix(GgmlType.Q4_0)(n, l)), seed: 54 }],
];

describe.each(cases)('GPU forward vs reference: %s', (name, options) => {
  let ref: Ref;
  let expected: Float32Array[];
  beforeAll(async () => {
    ref = await buildReferenceModel(options);
    expected = forwardReference(ref.config, ref.weights, createReferenceState(ref.config), TOKENS, { logits: 'all' });
  });

  it('prefill (chunks 16 + 4 + 1) and decode logits match', async () => {
    const model = await GemmaModel.load(ctx, ref.source, ref.header, { contextLength: 128, chunkSizes: [16, 4], allRowLogits: true });
    expect(model.forward.weights.layers.every((l) => l.ffnIn.fused === !name.includes('unfused'))).toBe(true);
    const { logits } = await model.run(TOKENS, 'all', { readLogits: true });
    const prefill = Math.max(...logits.map((row, i) => ratio(row, expected[i])));
    model.reset();
    const decode: number[] = [];
    for (let i = 0; i < TOKENS.length; i++) {
      const r = await model.run([TOKENS[i]], 'last', { readLogits: true });
      decode.push(ratio(r.logits[0], expected[i]));
    }
    model.reset();
    const tail = await model.run(TOKENS, 'last', { readLogits: true }); // shared layers on the last row only
    console.log(`${name}: worst/tolerance prefill ${prefill.toFixed(3)} decode ${Math.max(...decode).toFixed(3)} types ${JSON.stringify(ref.typeCounts)}`);
    expect(prefill).toBeLessThan(1);
    expect(Math.max(...decode)).toBeLessThan(1);
    expect(ratio(tail.logits[0], expected[TOKENS.length - 1])).toBeLessThan(1);
    expect(ctx.errors).toEqual([]);
  });
});

describe('tensors split below the binding limit', () => {
  it('gives the same logits with a 64 KiB binding cap (every matrix in several parts)', async () => {
    const small = await createGpuContext({ maxStorageBindingSize: 64 * 1024 });
    try {
      const ref = await buildReferenceModel(tiny(GgmlType.F32, 40));
      const expected = forwardReference(ref.config, ref.weights, createReferenceState(ref.config), TOKENS.slice(0, 9), { logits: 'all' });
      const model = await GemmaModel.load(small, ref.source, ref.header, { contextLength: 64, chunkSizes: [4], allRowLogits: true });
      const w = model.forward.weights;
      expect(w.tokenEmbd.parts.length).toBeGreaterThanOrEqual(5); // 640 x 128 f32 = 320 KiB
      const ffnIn = w.layers[5].ffnIn;
      expect(ffnIn.fused && ffnIn.gateUp.parts.length).toBeGreaterThanOrEqual(4);
      const { logits } = await model.run(TOKENS.slice(0, 9), 'all', { readLogits: true });
      expect(Math.max(...logits.map((row, i) => ratio(row, expected[i])))).toBeLessThan(1);
      expect(small.errors).toEqual([]);
    } finally {
      small.destroy();
    }
  });
});

/** Greedy continuation on the GPU through the token generator (sampler with temperature 0, one id read back per token). */
async function gpuGreedy(model: GemmaModel, prompt: number[], n: number): Promise<number[]> {
  const generator = new GpuTokenGenerator(ctx, model);
  const sampling: SamplingParams = { temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, seed: 0 };
  try {
    const out: number[] = [];
    let t = (await generator.prefill(prompt, { sampling, step: 0 }))!.token;
    for (let i = 0; i < n; i++) {
      out.push(t);
      if (i < n - 1) t = (await generator.next(t, { sampling, step: i + 1 })).token;
    }
    return out;
  } finally {
    generator.destroy();
  }
}

function referenceGreedy(ref: Ref, prompt: number[], n: number): { tokens: number[]; margins: number[] } {
  const state = createReferenceState(ref.config);
  let logits = forwardReference(ref.config, ref.weights, state, prompt, { logits: 'last' })[0];
  const tokens: number[] = [];
  const margins: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
    let second = -Infinity;
    for (let v = 0; v < logits.length; v++) if (v !== best && logits[v] > second) second = logits[v];
    tokens.push(best);
    margins.push(logits[best] - second);
    if (i < n - 1) logits = forwardReference(ref.config, ref.weights, state, [best], { logits: 'last' })[0];
  }
  return { tokens, margins };
}

describe.each([
  ['F32', tiny(GgmlType.F32, 60)],
  ['Q4_K_M mix', { shape: SHAPES.kquant, mix: REAL_MIXES.q4_k_m, seed: 61 }],
] as Array<[string, FixtureOptions]>)('greedy generation: %s', (name, options) => {
  it('64 tokens identical to the reference', async () => {
    const ref = await buildReferenceModel(options);
    const prompt = [2, 105, 500, 501, 17, 494, 510];
    const expected = referenceGreedy(ref, prompt, 64);
    const model = await GemmaModel.load(ctx, ref.source, ref.header, { contextLength: 128, chunkSizes: [16, 4] });
    const got = await gpuGreedy(model, prompt, 64);
    console.log(`${name}: smallest reference top-1 margin ${Math.min(...expected.margins).toExponential(2)}`);
    expect(got).toEqual(expected.tokens);
  });
});
