// The CPU TokenGenerator: greedy tokens equal to the reference's, seeded draws reproducible, masks honoured,
// log-probabilities, prefix reuse by moving the position back, abort between prefill chunks, typed errors.
// Runs in the plain node project (no relaxed-SIMD flag): the kernels' feature test picks the plain-SIMD build.
import { beforeAll, describe, expect, it } from 'vitest';
import { SHAPES, uniformMix } from '../../scripts/fixtures/gemma-fixture.js';
import { buildReferenceModel } from '../../scripts/fixtures/load-fixture.js';
import { GgmlType } from '../gguf/types.js';
import { createReferenceState, forwardReference } from '../reference/forward.js';
import { argmaxLowest, countTokens, counterUniform, sampleCpu } from '../reference/sample.js';
import { maskOf } from '../reference/token-mask.js';
import { DEFAULT_SAMPLING_PARAMS } from '../runtime/sampling-params.js';
import { CpuTokenGenerator } from './cpu-generator.js';
import { ModelError } from './errors.js';
import type { SamplingParams, StepOptions } from './generator.js';

type Ref = Awaited<ReturnType<typeof buildReferenceModel>>;
const greedy: SamplingParams = { ...DEFAULT_SAMPLING_PARAMS, temperature: 0 };
const PROMPT = [2, 105, 500, 501, 17, 494, 510, 33, 34, 35];

let ref: Ref;
beforeAll(async () => {
  ref = await buildReferenceModel({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q8_0), seed: 80 });
});

const load = (chunk = 4) => CpuTokenGenerator.load(ref.source, ref.header, ref.config, { contextLength: 64, chunk, activations: 'f32' });
const opts = (sampling: SamplingParams, step = 0, extra: Partial<StepOptions> = {}): StepOptions => ({ sampling, step, ...extra });

describe('CpuTokenGenerator', () => {
  it('greedy decoding gives the reference tokens', async () => {
    const g = await load();
    expect(g.backend).toBe('cpu');
    const state = createReferenceState(ref.config);
    let z = forwardReference(ref.config, ref.weights, state, PROMPT, { logits: 'last' })[0];
    let t = (await g.prefill(PROMPT, opts(greedy)))!.token;
    for (let i = 0; i < 16; i++) {
      expect(t).toBe(argmaxLowest(z));
      z = forwardReference(ref.config, ref.weights, state, [t], { logits: 'last' })[0];
      t = (await g.next(t, opts(greedy, i + 1))).token;
    }
    expect(g.position).toBe(PROMPT.length + 16);
    g.destroy();
  });

  it('seeded draws repeat; a mask restricts the draw; logprobs are a distribution', async () => {
    const g = await load();
    const sampling: SamplingParams = { ...DEFAULT_SAMPLING_PARAMS, temperature: 1.5, topK: 0, topP: 1, seed: 1234 };
    const draw = async () => {
      g.reset();
      g.resetHistory();
      const out = [(await g.prefill(PROMPT, opts(sampling, 0)))!.token];
      for (let i = 1; i < 12; i++) out.push((await g.next(out[i - 1], opts(sampling, i))).token);
      return out;
    };
    const a = await draw();
    expect(await draw()).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1); // temperature 1.5 over 640 tokens does not stick to one id
    const mask = new Uint32Array(Math.ceil(ref.config.vocabSize / 32));
    for (const id of [7, 300, 639]) mask[id >>> 5] |= 1 << (id & 31);
    g.reset();
    for (let i = 0; i < 8; i++) {
      const t = (await g.prefill([PROMPT[i]], opts(sampling, i, { mask })))!.token;
      expect([7, 300, 639]).toContain(t);
    }
    g.reset();
    const r = (await g.prefill(PROMPT, opts(greedy, 0, { topLogprobs: 3 })))!;
    expect(r.logprobs!.top).toHaveLength(3);
    expect(r.logprobs!.top[0].id).toBe(r.token);
    expect(r.logprobs!.logprob).toBeCloseTo(r.logprobs!.top[0].logprob, 12);
    expect(r.logprobs!.top[1].logprob).toBeLessThanOrEqual(r.logprobs!.top[0].logprob);
    expect(r.logprobs!.logprob).toBeLessThan(0);
    g.destroy();
  });

  it('moving the position back reuses the prefix exactly; abort stops between chunks', async () => {
    const g = await load(4);
    const fresh = await load(4);
    const lp = { topLogprobs: 5 };
    await g.prefill([...PROMPT, 40, 41, 42, 43, 44, 45], opts(greedy, 0));
    g.position = PROMPT.length;
    const reused = (await g.prefill([50, 51, 52], opts(greedy, 0, lp)))!;
    const direct = (await fresh.prefill([...PROMPT, 50, 51, 52], opts(greedy, 0, lp)))!;
    expect(reused).toEqual(direct);
    expect(() => (g.position = 100)).toThrow(ModelError);

    g.reset();
    const tokens = Array.from({ length: 12 }, (_, i) => 100 + i);
    const once = { get aborted() { return g.position >= 4; } }; // set once the first chunk of 4 has run
    expect(await g.prefill(tokens, opts(greedy, 0, { signal: once }))).toBeUndefined();
    expect(g.position).toBe(4);
    g.destroy();
    fresh.destroy();
  });

  it('rejects bad input with typed errors', async () => {
    const g = await load();
    const code = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        expect(e).toBeInstanceOf(ModelError);
        return (e as ModelError).code;
      }
      return 'no error';
    };
    expect(await code(() => g.prefill([ref.config.vocabSize], opts(greedy)))).toBe('TOKEN_OUT_OF_RANGE');
    expect(await code(() => g.prefill([], opts(greedy)))).toBe('BAD_STEP_OPTION');
    expect(await code(() => g.prefill(Array(65).fill(5), opts(greedy)))).toBe('CONTEXT_OVERFLOW');
    expect(await code(() => g.prefill([5], opts(greedy, -1)))).toBe('BAD_STEP_OPTION');
    expect(await code(() => g.prefill([5], opts(greedy, 0, { mask: new Uint32Array(3) })))).toBe('BAD_STEP_OPTION');
    expect(await code(() => g.prefill([5], opts(greedy, 0, { mask: new Uint32Array(Math.ceil(ref.config.vocabSize / 32)) })))).toBe('BAD_STEP_OPTION');
    await expect(g.prefill([5], opts(greedy, 0, { mask: new Uint32Array(Math.ceil(ref.config.vocabSize / 32)) }))).rejects.toThrow(/allows no token/);
    g.destroy();
  });

  it('samples exactly what sampleCpu draws from the same logits (history, penalties, bias, masks)', async () => {
    const g = await load();
    const V = ref.config.vocabSize;
    const sampling: SamplingParams = { ...DEFAULT_SAMPLING_PARAMS, temperature: 0.9, topK: 0, topP: 0.9, minP: 0.02, repetitionPenalty: 1.3, presencePenalty: 0.4, logitBias: { 7: 2, 300: -1 }, seed: 99 };
    const history: number[] = [];
    g.resetHistory(history);
    let token = PROMPT[0];
    for (let step = 0; step < 24; step++) {
      const mask = step % 3 === 2 ? maskOf(V, Array.from({ length: 50 }, (_, i) => (i * 37 + step) % V)) : undefined;
      const o = opts(step % 4 === 3 ? greedy : sampling, step, { mask });
      const got = (step === 0 ? await g.prefill(PROMPT, o) : await g.next(token, o))!.token;
      const logits = Float32Array.from(g.forward.products.arena.f32(g.forward.logitsAddress, V));
      expect(got).toBe(sampleCpu(logits, o.sampling, countTokens(history), () => counterUniform(o.sampling.seed, step), mask));
      history.push(got);
      token = got;
    }
    expect(new Set(history).size).toBeGreaterThan(3);
    g.destroy();
  });
});

describe('CpuTokenGenerator on a file without attn_v on some layers', () => {
  // gguf-gemma4.md: attn_v is optional; the engine's CPU load path (loadGemmaConfig, then this load) must accept it.
  it('loads it and decodes the reference greedy tokens (V = the K projection before k_norm)', async () => {
    const m = await buildReferenceModel({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q8_0), seed: 81, withoutAttnV: [1, 2] });
    expect(m.header.tensors.some((t) => t.name === 'blk.1.attn_v.weight')).toBe(false);
    const g = await CpuTokenGenerator.load(m.source, m.header, m.config, { contextLength: 64, chunk: 4, activations: 'f32' });
    expect(g.forward.weights.layers.map((l) => l.v === undefined)).toEqual(m.config.layers.map((l) => [1, 2].includes(l.index) || !l.ownsKv));
    const state = createReferenceState(m.config);
    let z = forwardReference(m.config, m.weights, state, PROMPT, { logits: 'last' })[0];
    let t = (await g.prefill(PROMPT, opts(greedy)))!.token;
    for (let i = 0; i < 12; i++) {
      expect(t).toBe(argmaxLowest(z));
      z = forwardReference(m.config, m.weights, state, [t], { logits: 'last' })[0];
      t = (await g.next(t, opts(greedy, i + 1))).token;
    }
    g.destroy();
  });
});
