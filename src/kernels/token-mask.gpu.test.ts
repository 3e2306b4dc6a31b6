// The token-mask kernel against its reference (awkward vocabulary sizes and offsets), and the masked GPU sampler
// against the CPU sampler on the same masked logits: greedy and sampled ids equal, every id allowed, with the
// final softcap folded into the sampler (masked -inf must stay -inf through it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { readF32, readU32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { checkShader } from '../gpu/kernel.js';
import { softcapInPlace } from '../reference/math.js';
import { applyTokenMask, maskAllows, maskOf, maskWords } from '../reference/token-mask.js';
import { counterUniform, sampleCpu } from '../reference/sample.js';
import { resolveSamplingParams } from '../runtime/sampling-params.js';
import { SAMPLER_LAYOUT, createGpuSampler } from './sample.js';
import { createStepBuffer, writeStep } from './step.js';
import { seeded, testContext, upload } from './test-helpers.js';
import { TOKEN_MASK, createGpuTokenMask } from './token-mask.js';

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

/** A random mask allowing about `density` of the tokens (at least one). */
function randomMask(vocab: number, density: number, seed: number): Uint32Array {
  const r = seeded(seed);
  const ids: number[] = [];
  for (let i = 0; i < vocab; i++) if (r.next() < density) ids.push(i);
  if (ids.length === 0) ids.push(Math.floor(r.next() * vocab));
  return maskOf(vocab, ids);
}

describe('token-mask kernel', () => {
  it('compiles', async () => {
    await checkShader(ctx, TOKEN_MASK);
  });

  it.each([
    { vocab: 1, offset: 0, density: 1 },
    { vocab: 31, offset: 3, density: 0.5 },
    { vocab: 33, offset: 0, density: 0.3 },
    { vocab: 640, offset: 640, density: 0.1 },
    { vocab: 1000, offset: 7, density: 0.9 },
    { vocab: 262_147, offset: 0, density: 0.01 },
  ])('vocab $vocab offset $offset density $density', async ({ vocab, offset, density }) => {
    const logits = seeded(vocab).array(offset + vocab + 5, 4);
    const mask = randomMask(vocab, density, vocab + 1);
    const buf = upload(ctx, logits, 'logits');
    const m = createGpuTokenMask(ctx, { logits: buf, vocabSize: vocab, logitsOffset: offset });
    expect(m.words).toBe(maskWords(vocab));
    m.set(mask);
    submitOps(ctx, [m.op]);
    const gpu = await readF32(ctx, buf, 0, logits.length);
    const ref = applyTokenMask(Float32Array.from(logits), mask, vocab, offset);
    // exact: untouched values are copied bits, masked ones MASKED_LOGIT_BITS
    expect(Array.from(new Uint32Array(gpu.buffer, gpu.byteOffset, gpu.length))).toEqual(Array.from(new Uint32Array(ref.buffer)));
    m.destroy();
  });

  it('rejects a mask of the wrong size and a short logits buffer', () => {
    const buf = upload(ctx, new Float32Array(100), 'logits');
    const m = createGpuTokenMask(ctx, { logits: buf, vocabSize: 100 });
    expect(() => m.set(new Uint32Array(3))).toThrow(/needs 4/);
    expect(() => createGpuTokenMask(ctx, { logits: buf, vocabSize: 101 })).toThrow(/needs 404/);
    m.destroy();
  });
});

describe('masked GPU sampler = CPU sampler on masked logits', () => {
  const cap = 30;
  const cases = [
    { name: 'greedy', vocab: 1037, p: { temperature: 0 }, density: 0.02 },
    { name: 'greedy, one allowed', vocab: 262_144, p: { temperature: 0 }, density: 0 },
    { name: 'sampled top-k 64 top-p 0.95', vocab: 1037, p: { temperature: 1, topK: 64, topP: 0.95 }, density: 0.02 },
    { name: 'sampled, penalties', vocab: 4099, p: { temperature: 0.8, topK: 40, repetitionPenalty: 1.3, presencePenalty: 0.5 }, density: 0.01 },
    { name: 'sampled, fewer allowed than top-k', vocab: 777, p: { temperature: 1.5, topK: 0, topP: 1 }, density: 0.004 },
    // The allowed tokens have the lowest logits: a softcap that turned -inf into -cap would let masked ones win.
    { name: 'sampled, allowed logits lowest', vocab: 2000, p: { temperature: 1, topK: 0, topP: 1, minP: 0 }, density: 0.05, lowAllowed: true },
    { name: 'greedy, allowed logits lowest', vocab: 2000, p: { temperature: 0 }, density: 0.05, lowAllowed: true },
  ];
  it.each(cases)('$name (vocab $vocab)', async ({ vocab, p, density, lowAllowed }) => {
    const params = resolveSamplingParams(p);
    const step = createStepBuffer(ctx);
    const history = new Map<number, number>([[1, 2], [5, 1], [vocab - 1, 3]]);
    for (let trial = 0; trial < 6; trial++) {
      // Raw (un-softcapped) logits: the sampler folds the softcap in; the CPU sampler takes final logits.
      const raw = seeded(100 * trial + vocab).array(vocab, 8);
      const mask = randomMask(vocab, density, trial * 7 + 3);
      if (lowAllowed) for (let i = 0; i < vocab; i++) raw[i] = maskAllows(mask, i) ? -40 - (i % 13) : 40 + (i % 11);
      const logits = upload(ctx, raw, 'logits');
      const m = createGpuTokenMask(ctx, { logits, vocabSize: vocab });
      const sampler = createGpuSampler(ctx, { logits, vocabSize: vocab, step, softcap: cap, autoAccept: false });
      sampler.setParams(params);
      sampler.resetHistory([...history].flatMap(([id, c]) => Array<number>(c).fill(id)));
      m.set(mask);
      writeStep(ctx, step, { startPos: 0, step: trial, seed: 42 });
      submitOps(ctx, [m.op, ...sampler.ops()]);
      const [gpu] = await readU32(ctx, sampler.outputToken, 0, 1);
      const final = Float64Array.from(raw);
      softcapInPlace(final, cap);
      const cpu = sampleCpu(final, params, history, () => counterUniform(42, trial), mask);
      expect(maskAllows(mask, gpu)).toBe(true);
      expect(gpu).toBe(cpu);
      if (params.temperature > 0) {
        // Every candidate with probability > 0 is allowed (the logprobs path sees the mask too).
        const [k, kept] = await readU32(ctx, sampler.work, SAMPLER_LAYOUT.outCount * 4, 2);
        const ids = await readU32(ctx, sampler.work, SAMPLER_LAYOUT.outIds * 4, k);
        const probs = await readF32(ctx, sampler.work, SAMPLER_LAYOUT.outProbs * 4, k);
        for (let j = 0; j < k; j++) if (probs[j] > 0) expect(maskAllows(mask, ids[j])).toBe(true);
        expect(kept).toBeGreaterThan(0);
      }
      m.destroy();
      sampler.destroy();
      logits.destroy();
    }
    step.destroy();
  });

  it('no mask: the sampler output is what it was (no token-mask op recorded)', async () => {
    const vocab = 1037;
    const raw = seeded(9).array(vocab, 8);
    const step = createStepBuffer(ctx);
    const logits = upload(ctx, raw, 'logits');
    const sampler = createGpuSampler(ctx, { logits, vocabSize: vocab, step, softcap: cap, autoAccept: false });
    sampler.setParams(resolveSamplingParams({ temperature: 1, topK: 64, topP: 0.95 }));
    writeStep(ctx, step, { startPos: 0, step: 3, seed: 7 });
    submitOps(ctx, sampler.ops());
    const [gpu] = await readU32(ctx, sampler.outputToken, 0, 1);
    const final = Float64Array.from(raw);
    softcapInPlace(final, cap);
    expect(gpu).toBe(sampleCpu(final, resolveSamplingParams({ temperature: 1, topK: 64, topP: 0.95 }), new Map(), () => counterUniform(7, 3)));
    sampler.destroy();
    step.destroy();
  });
});
