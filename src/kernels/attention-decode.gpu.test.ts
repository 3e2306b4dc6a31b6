// attention-decode on the GPU against attendOne: random caches (every slot filled, so a wrong slot shows), full
// layers with hundreds of keys, sliding rings wrapped many times, GQA/MQA, several splits; and a decode loop that
// writes K/V with kv-write into a tight ring and reuses the same bound ops at every position.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { readF32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { attendOne } from '../reference/attention.js';
import { attentionDecode } from '../reference/attention-decode.js';
import { normRopeRows } from '../reference/rope.js';
import { rmsNormSlices } from '../reference/math.js';
import { bindAttentionDecode, createAttentionDecodeScratch, decodeSplits } from './attention-decode.js';
import { expectClose, invFreqTable, setStartPos, stepBuffer } from './attention-test-helpers.js';
import { bindKvWrite } from './kv-write.js';
import { empty, seeded, testContext, upload } from './test-helpers.js';

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

// f32 vs f64. A score is a dot of headDim terms ~1 whose f32 error is at most ~1e-7 · headDim; that moves the
// softmax weights by the same relative amount, and outputs are convex combinations of values ~1. So
// atol = 1e-7 · headDim (measured worst: 6e-6 at headDim 256, i.e. 0.25 of it), rtol 1e-4.
const atol = (headDim: number) => 1e-7 * headDim;
const RTOL = 1e-4;

interface Case {
  heads: number;
  kvHeads: number;
  headDim: number;
  capacity: number;
  window: number;
  positions: number[];
  maxSplits?: number;
  minChunk?: number;
}

describe('attention-decode, random caches', () => {
  // four pipelines (heads/kvHeads/headDim), each reused by a second case (SwiftShader compiles slowly)
  const cases: Case[] = [
    { heads: 8, kvHeads: 1, headDim: 256, capacity: 400, window: 0, positions: [299, 0, 64, 399] }, // full, MQA
    { heads: 8, kvHeads: 1, headDim: 256, capacity: 70, window: 64, positions: [1000, 5, 63, 64] }, // ring 64 + 7 - 1
    { heads: 8, kvHeads: 2, headDim: 512, capacity: 300, window: 0, positions: [250, 130] }, // full, GQA
    { heads: 8, kvHeads: 2, headDim: 512, capacity: 72, window: 40, positions: [20, 777] },
    { heads: 4, kvHeads: 2, headDim: 64, capacity: 32, window: 32, positions: [31, 32, 95, 1_000_003] }, // ring = window
    { heads: 4, kvHeads: 2, headDim: 64, capacity: 500, window: 0, positions: [499, 97], maxSplits: 2 }, // long chunks
    { heads: 1, kvHeads: 1, headDim: 32, capacity: 200, window: 0, positions: [0, 1, 199] },
    { heads: 1, kvHeads: 1, headDim: 32, capacity: 40, window: 33, positions: [33, 200], minChunk: 4 }, // 9 splits
  ];
  it.each(cases)('heads $heads/$kvHeads headDim $headDim capacity $capacity window $window', async (c) => {
    const r = seeded(c.heads * 977 + c.headDim * 13 + c.capacity);
    const width = c.kvHeads * c.headDim;
    const kc = r.array(c.capacity * width);
    const vc = r.array(c.capacity * width);
    const qBuf = empty(ctx, c.heads * c.headDim * 4);
    const out = empty(ctx, c.heads * c.headDim * 4);
    const step = stepBuffer(ctx, 0);
    const ops = bindAttentionDecode(ctx, {
      q: qBuf,
      kCache: upload(ctx, kc),
      vCache: upload(ctx, vc),
      out,
      numHeads: c.heads,
      numKvHeads: c.kvHeads,
      headDim: c.headDim,
      capacity: c.capacity,
      window: c.window,
      step,
      maxSplits: c.maxSplits,
      minChunk: c.minChunk,
    });
    expect(ops).toHaveLength(2);
    for (const pos of c.positions) {
      const q = r.array(c.heads * c.headDim);
      writeBuffer(ctx, qBuf, 0, q);
      setStartPos(ctx, step, pos);
      submitOps(ctx, ops);
      const ref = attentionDecode(q, kc, vc, pos, { numHeads: c.heads, numKvHeads: c.kvHeads, headDim: c.headDim, capacity: c.capacity, window: c.window });
      expectClose(await readF32(ctx, out, 0, q.length), ref, atol(c.headDim), RTOL, `pos ${pos}`);
    }
  });

  it('sizes its grid for the worst case and shares one scratch across ops', async () => {
    expect(decodeSplits(512)).toBe(8);
    expect(decodeSplits(32768)).toBe(32);
    expect(decodeSplits(1)).toBe(1);
    const scratch = createAttentionDecodeScratch(ctx, 8, 256, 32);
    const r = seeded(5);
    const shape = { numHeads: 8, numKvHeads: 1, headDim: 256, capacity: 300, window: 0 };
    const layers = [0, 1].map(() => ({ k: r.array(300 * 256), v: r.array(300 * 256), q: r.array(8 * 256) }));
    const step = stepBuffer(ctx, 280);
    const outs = layers.map(() => empty(ctx, 8 * 256 * 4));
    const ops = layers.flatMap((l, i) =>
      bindAttentionDecode(ctx, { ...shape, q: upload(ctx, l.q), kCache: upload(ctx, l.k), vCache: upload(ctx, l.v), out: outs[i], step, scratch }),
    );
    submitOps(ctx, ops);
    for (let i = 0; i < layers.length; i++) {
      const ref = attentionDecode(layers[i].q, layers[i].k, layers[i].v, 280, shape);
      expectClose(await readF32(ctx, outs[i], 0, 8 * 256), ref, atol(256), RTOL, `layer ${i}`);
    }
  });
});

describe('attention-decode after kv-write, one token at a time', () => {
  const cases = [
    { heads: 4, kvHeads: 2, headDim: 64, window: 8, capacity: 8, tokens: 41, minChunk: 2 }, // ring wraps 5 times
    { heads: 8, kvHeads: 1, headDim: 256, window: 0, capacity: 24, tokens: 24, minChunk: 4 }, // full, fills up
  ];
  it.each(cases)('heads $heads/$kvHeads headDim $headDim window $window capacity $capacity', async (c) => {
    const r = seeded(c.headDim + c.window);
    const width = c.kvHeads * c.headDim;
    const eps = 1e-6;
    const invFreq = invFreqTable(c.headDim, 'sliding');
    const kNorm = Float32Array.from({ length: c.headDim }, () => 1 + 0.3 * r.normal());
    const kIn = empty(ctx, width * 4);
    const vIn = empty(ctx, width * 4);
    const qBuf = empty(ctx, c.heads * c.headDim * 4);
    const out = empty(ctx, c.heads * c.headDim * 4);
    const kCache = empty(ctx, c.capacity * width * 4);
    const vCache = empty(ctx, c.capacity * width * 4);
    const step = stepBuffer(ctx, 0);
    const shape = { numKvHeads: c.kvHeads, headDim: c.headDim, capacity: c.capacity, step };
    const ops = [
      bindKvWrite(ctx, { ...shape, k: kIn, v: vIn, kCache, vCache, rows: 1, eps, kNormWeight: upload(ctx, kNorm), invFreq: upload(ctx, invFreq) }),
      ...bindAttentionDecode(ctx, { ...shape, q: qBuf, kCache, vCache, out, numHeads: c.heads, window: c.window, minChunk: c.minChunk }),
    ];
    const keys: Float64Array[] = [];
    const values: Float64Array[] = [];
    for (let pos = 0; pos < c.tokens; pos++) {
      const k = r.array(width, 2);
      const v = r.array(width, 2);
      const q = r.array(c.heads * c.headDim);
      keys.push(normRopeRows(k, 1, c.headDim, pos, invFreq, kNorm, eps));
      values.push(rmsNormSlices(v, c.headDim, undefined, eps));
      writeBuffer(ctx, kIn, 0, k);
      writeBuffer(ctx, vIn, 0, v);
      writeBuffer(ctx, qBuf, 0, q);
      setStartPos(ctx, step, pos);
      submitOps(ctx, ops);
      const ref = attendOne(q, pos, { keys, values }, c.heads, c.kvHeads, c.headDim, c.window || undefined);
      expectClose(await readF32(ctx, out, 0, q.length), ref, atol(c.headDim), RTOL, `pos ${pos}`);
    }
  });
});
