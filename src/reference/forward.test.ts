// The reference forward pass on generated Gemma-4-shaped models: prefill of T tokens equals T single-token steps,
// chunked prefill equals one chunk, and skipping KV-shared layers for unused rows is exact (spec §3.5).
import { beforeAll, describe, expect, it } from 'vitest';
import { REAL_MIXES, SHAPES, uniformMix } from '../../scripts/fixtures/gemma-fixture.js';
import { buildReferenceModel } from '../../scripts/fixtures/load-fixture.js';
import { GgmlType } from '../gguf/types.js';
import { createReferenceState, forwardReference } from './forward.js';

type Model = Awaited<ReturnType<typeof buildReferenceModel>>;

/** Max |a-b| / max(1, |b|) over two logit rows. */
function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

// 20 tokens > sliding window 8, so ring/window behaviour matters; ids cover specials and merges.
const TOKENS = [2, 105, 500, 501, 17, 494, 510, 600, 3, 88, 106, 107, 520, 530, 540, 550, 560, 570, 580, 590];

const cases: Array<[string, Parameters<typeof buildReferenceModel>[0]]> = [
  ['tiny F32', { shape: SHAPES.tiny, mix: uniformMix(GgmlType.F32), seed: 7 }],
  ['tiny Q8_0', { shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q8_0), seed: 8 }],
  ['kquant Q4_K_M mix', { shape: SHAPES.kquant, mix: REAL_MIXES.q4_k_m, seed: 9 }],
];

describe.each(cases)('reference forward: %s', (_name, options) => {
  let model: Model;
  let prefill: Float32Array[];
  beforeAll(async () => {
    model = await buildReferenceModel(options);
    prefill = forwardReference(model.config, model.weights, createReferenceState(model.config), TOKENS, { logits: 'all' });
  });

  it('gives finite, softcapped logits of vocabulary size for every row', () => {
    expect(prefill.length).toBe(TOKENS.length);
    for (const row of prefill) {
      expect(row.length).toBe(model.config.vocabSize);
      for (const v of row) {
        expect(Number.isFinite(v)).toBe(true);
        expect(Math.abs(v)).toBeLessThanOrEqual(30);
      }
    }
    // Not degenerate: rows differ and logits spread.
    expect(maxRelDiff(prefill[3], prefill[4])).toBeGreaterThan(1e-3);
  });

  it('prefill of T tokens equals T single-token decode steps', () => {
    const state = createReferenceState(model.config);
    let worst = 0;
    TOKENS.forEach((t, i) => {
      const [row] = forwardReference(model.config, model.weights, state, [t], { logits: 'last' });
      worst = Math.max(worst, maxRelDiff(row, prefill[i]));
    });
    expect(state.length).toBe(TOKENS.length);
    expect(worst).toBeLessThan(1e-6);
  });

  it('chunked prefill equals a single chunk', () => {
    const state = createReferenceState(model.config);
    const a = forwardReference(model.config, model.weights, state, TOKENS.slice(0, 7), { logits: 'all' });
    const b = forwardReference(model.config, model.weights, state, TOKENS.slice(7), { logits: 'all' });
    [...a, ...b].forEach((row, i) => expect(maxRelDiff(row, prefill[i])).toBeLessThan(1e-6));
  });

  it('skipping KV-shared layers for rows without logits is exact', () => {
    const run = (skip: boolean) =>
      forwardReference(model.config, model.weights, createReferenceState(model.config), TOKENS, {
        logits: 'last',
        skipSharedLayersForUnusedRows: skip,
      })[0];
    expect(maxRelDiff(run(true), run(false))).toBe(0);
    expect(maxRelDiff(run(true), prefill[TOKENS.length - 1])).toBe(0);
  });
});

describe('reference forward: inputs', () => {
  it('rejects token ids outside the vocabulary and over-long input', async () => {
    const m = await buildReferenceModel({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.F32), seed: 1 });
    expect(() => forwardReference(m.config, m.weights, createReferenceState(m.config), [m.config.vocabSize])).toThrow(
      /outside the vocabulary/,
    );
    const long = new Array(m.config.contextLength + 1).fill(5);
    expect(() => forwardReference(m.config, m.weights, createReferenceState(m.config), long)).toThrow(/context length/);
  });

  it('every layer matters: the layer scalar, KV sharing and PLE change the logits', async () => {
    const base = { shape: SHAPES.tiny, mix: uniformMix(GgmlType.F32), seed: 3 };
    const m = await buildReferenceModel(base);
    const run = (w = m.weights, c = m.config) => forwardReference(c, w, createReferenceState(c), TOKENS, { logits: 'last' })[0];
    const ref = run();
    const noScalars = { ...m.config, layerScalars: m.config.layerScalars.map(() => 1) };
    expect(maxRelDiff(run(m.weights, noScalars), ref)).toBeGreaterThan(1e-3);
    const zeroPle = { ...m.weights, pleRow: (t: number) => m.weights.pleRow(t).map(() => 0) };
    expect(maxRelDiff(run(zeroPle), ref)).toBeGreaterThan(1e-3);
  });
});

describe('layers without blk.N.attn_v.weight (gguf-gemma4.md: optional everywhere)', () => {
  const base = { shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q8_0), seed: 21 };
  it('load, and compute V as the K projection before k_norm: the same logits as attn_v = attn_k, and not those of the original', async () => {
    const without = await buildReferenceModel({ ...base, withoutAttnV: [0, 2] });
    expect(without.header.tensors.some((t) => t.name === 'blk.0.attn_v.weight')).toBe(false);
    expect(without.header.tensors.some((t) => t.name === 'blk.1.attn_v.weight')).toBe(true);
    const copied = await buildReferenceModel({ ...base, attnVCopiesK: [0, 2] });
    const original = await buildReferenceModel(base);
    const run = (m: Model) => forwardReference(m.config, m.weights, createReferenceState(m.config), TOKENS, { logits: 'all' });
    const a = run(without);
    const b = run(copied);
    const c = run(original);
    a.forEach((row, i) => expect(row).toEqual(b[i]));
    expect(Math.max(...a.map((row, i) => maxRelDiff(row, c[i])))).toBeGreaterThan(1e-3);
  });
});
