// GpuTokenGenerator on a tiny fixture against the CPU reference: greedy ids, log-probabilities of the sampled token
// and the top 5 (computed on the GPU), a seeded draw reproducible whatever ran before, prefill aborted between
// chunks, and typed errors for bad options (a mask before the constraints work, out-of-range ids).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHAPES, uniformMix } from '../../scripts/fixtures/gemma-fixture.js';
import { buildReferenceModel } from '../../scripts/fixtures/load-fixture.js';
import { GgmlType } from '../gguf/types.js';
import { createGpuContext, type GpuContext } from '../gpu/context.js';
import { createReferenceState, forwardReference } from '../reference/forward.js';
import { logprobsRef } from '../reference/logprobs.js';
import { resolveSamplingParams } from '../runtime/sampling-params.js';
import { GemmaModel } from './gemma-model.js';
import { GpuTokenGenerator } from './generator.js';

const PROMPT = [2, 105, 500, 501, 17, 494, 510, 600, 3, 88];
let ctx: GpuContext;
let gen: GpuTokenGenerator;
let ref: Awaited<ReturnType<typeof buildReferenceModel>>;
beforeAll(async () => {
  ctx = await createGpuContext();
  ref = await buildReferenceModel({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.F32), seed: 61 });
  gen = new GpuTokenGenerator(ctx, await GemmaModel.load(ctx, ref.source, ref.header, { contextLength: 64, chunkSizes: [4] }));
});
afterAll(() => {
  gen?.destroy();
  ctx?.destroy();
});

const greedy = resolveSamplingParams({ temperature: 0 });
// The forward pass is within 2e-3 + 2e-3 |logit| of the reference (gpu-forward.gpu.test.ts) and |logit| <= 30 after the
// softcap; a logprob is a difference of two such values (the kernel itself is checked tightly in logprobs.gpu.test.ts).
const LOGPROB_TOL = 2 * (2e-3 + 2e-3 * 30);

describe('GpuTokenGenerator', () => {
  it('greedy token and its logprobs (top 5) match the reference', async () => {
    gen.reset();
    const out = (await gen.prefill(PROMPT, { sampling: greedy, step: 0, topLogprobs: 5 }))!;
    const logits = forwardReference(ref.config, ref.weights, createReferenceState(ref.config), PROMPT, { logits: 'last' })[0];
    const expected = logprobsRef(logits, ref.config.finalLogitSoftcap, out.token, 5);
    expect(out.token).toBe(expected.top[0].id);
    expect(out.logprobs!.top.map((t) => t.id)).toEqual(expected.top.map((t) => t.id));
    expect(Math.abs(out.logprobs!.logprob - expected.logprob)).toBeLessThan(LOGPROB_TOL);
    out.logprobs!.top.forEach((t, i) => expect(Math.abs(t.logprob - expected.top[i].logprob)).toBeLessThan(LOGPROB_TOL));
    expect(gen.position).toBe(PROMPT.length);
    const plain = await gen.next(out.token, { sampling: greedy, step: 1 });
    expect(plain.logprobs).toBeUndefined();
  });

  it('a seeded draw depends only on (seed, step, prompt), not on what ran before', async () => {
    const sampling = resolveSamplingParams({ temperature: 1, topK: 0, topP: 1, seed: 1234 });
    const draw = async () => {
      gen.reset();
      gen.resetHistory();
      const first = (await gen.prefill(PROMPT, { sampling, step: 0 }))!.token;
      return [first, (await gen.next(first, { sampling, step: 1 })).token];
    };
    const a = await draw();
    gen.reset();
    await gen.prefill([2, 7, 7, 7, 7, 7], { sampling: greedy, step: 99 }); // unrelated work in between
    expect(await draw()).toEqual(a);
  });

  it('prefill stops between chunks when the signal is set', async () => {
    gen.reset();
    const signal = { aborted: false };
    const run = gen.prefill(PROMPT, { sampling: greedy, step: 0, signal });
    signal.aborted = true;
    expect(await run).toBeUndefined();
    expect(gen.position).toBeLessThan(PROMPT.length);
    expect(gen.position).toBeGreaterThan(0);
  });

  it('typed errors: a mask (until the constraints work), an id outside the vocabulary, a bad step', async () => {
    gen.reset();
    await expect(gen.prefill([2], { sampling: greedy, step: 0, mask: new Uint32Array(20) })).rejects.toMatchObject({ code: 'UNSUPPORTED_OPTION' });
    await expect(gen.prefill([2, 99999], { sampling: greedy, step: 0 })).rejects.toMatchObject({ code: 'TOKEN_OUT_OF_RANGE' });
    await expect(gen.prefill([2], { sampling: greedy, step: -1 })).rejects.toMatchObject({ code: 'BAD_STEP_OPTION' });
    expect(() => (gen.position = 5)).toThrow(/only move back/);
  });
});
