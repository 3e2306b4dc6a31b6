// logprobs against its reference: vocabulary sizes that do not divide the workgroup, with and without the softcap,
// NaN / -inf logits, ties (lowest ids first) and the sentinel token; top ids exactly, logprobs within tolerance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { readBuffer } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { logprobsRef } from '../reference/logprobs.js';
import { LOGPROBS_OUT_WORDS, LOGPROBS_TOP, bindLogprobs, decodeLogprobs } from './logprobs.js';
import { seeded, testContext, upload } from './test-helpers.js';

// f32 log-sum-exp over up to 262,144 terms and the GPU's tanh: |gpu - ref| <= ATOL + RTOL |ref|.
const ATOL = 2e-4;
const RTOL = 1e-4;

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

async function run(logits: Float32Array, softcap: number, token: number) {
  const b = bindLogprobs(ctx, { logits: upload(ctx, logits), vocabSize: logits.length, softcap, token: upload(ctx, Uint32Array.of(token)) });
  submitOps(ctx, [...b.ops]);
  const words = await readBuffer(ctx, b.out, 0, LOGPROBS_OUT_WORDS * 4);
  b.destroy();
  return decodeLogprobs(words, LOGPROBS_TOP);
}

const close = (gpu: number, ref: number) => Math.abs(gpu - ref) / (ATOL + RTOL * Math.abs(ref));

describe('logprobs', () => {
  it.each([
    { V: 1, softcap: 0 },
    { V: 7, softcap: 30 },
    { V: 300, softcap: 0 },
    { V: 4099, softcap: 30 },
    { V: 262144, softcap: 30 },
  ])('V $V, softcap $softcap', async ({ V, softcap }) => {
    const r = seeded(V);
    const logits = r.array(V, 8);
    const token = Math.floor(r.next() * V);
    const gpu = await run(logits, softcap, token);
    const ref = logprobsRef(logits, softcap, token, Math.min(LOGPROBS_TOP, V));
    expect(gpu.token).toBe(token);
    expect(close(gpu.logprob, ref.logprob)).toBeLessThan(1);
    expect(gpu.top.slice(0, ref.top.length).map((t) => t.id)).toEqual(ref.top.map((t) => t.id));
    gpu.top.slice(0, ref.top.length).forEach((t, i) => expect(close(t.logprob, ref.top[i].logprob)).toBeLessThan(1));
    if (V < LOGPROBS_TOP) expect(gpu.top[V].id).toBe(0xffffffff);
  });

  it('ties go to the lowest ids; NaN and -inf logits get probability 0; a sentinel token gets a floor logprob', async () => {
    const logits = new Float32Array(1000).fill(1);
    logits[3] = NaN;
    logits[4] = -Infinity;
    const gpu = await run(logits, 0, 3);
    const ref = logprobsRef(logits, 0, 3, 5);
    expect(gpu.top.map((t) => t.id)).toEqual([0, 1, 2, 5, 6]);
    expect(close(gpu.top[0].logprob, ref.top[0].logprob)).toBeLessThan(1);
    expect(gpu.logprob).toBeLessThan(-1e37);
    const sentinel = await run(logits, 0, 0xffffffff);
    expect(sentinel.token).toBe(0xffffffff);
    expect(sentinel.logprob).toBeLessThan(-1e37);
  });
});
