// attention-prefill on the GPU against attendOne: random caches (every slot filled) for GQA/MQA, head dims up to
// 512, tight sliding rings at wrapped positions and full layers with hundreds of keys; then a long sequence written
// chunk by chunk through the layer's op sequence (norm-rope of q, kv-write with fused k_norm + RoPE + v_norm into a
// tight ring, attention), each chunk checked against attendOne over the whole history; the ops are bound once per
// chunk length and reused for every chunk, then decode steps continue in the same ring.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { checkShader, type BoundOp } from '../gpu/kernel.js';
import { readF32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { attendOne } from '../reference/attention.js';
import { attentionPrefill } from '../reference/attention-prefill.js';
import { rmsNormSlices } from '../reference/math.js';
import { normRopeRows } from '../reference/rope.js';
import { ATTENTION_DECODE, bindAttentionDecode } from './attention-decode.js';
import { ATTENTION_PREFILL, bindAttentionPrefill } from './attention-prefill.js';
import { expectClose, invFreqTable, setStartPos, stepBuffer } from './attention-test-helpers.js';
import { bindKvWrite, KV_WRITE } from './kv-write.js';
import { bindNormRope, ROPE } from './rope.js';
import { empty, seeded, testContext, upload } from './test-helpers.js';

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

// Same budget as attention-decode.gpu.test.ts: a score's f32 error is at most ~1e-7 · headDim.
const atol = (headDim: number) => 1e-7 * headDim;
const RTOL = 1e-4;

it('the shaders compile', async () => {
  for (const source of [ROPE, KV_WRITE, ATTENTION_PREFILL, ATTENTION_DECODE]) await checkShader(ctx, source);
});

it('refuses a ring too small for the window and the chunk, and head dims it cannot split', () => {
  const b = upload(ctx, new Float32Array(64));
  const base = { q: b, kCache: b, vCache: b, out: b, numHeads: 8, numKvHeads: 1, step: stepBuffer(ctx, 0) };
  expect(() => bindAttentionPrefill(ctx, { ...base, rows: 7, headDim: 64, capacity: 69, window: 64 })).toThrow(/too small/);
  expect(() => bindAttentionPrefill(ctx, { ...base, rows: 7, headDim: 30, capacity: 100, window: 0 })).toThrow(/multiple of 4/);
  expect(() => bindAttentionDecode(ctx, { ...base, headDim: 64, capacity: 63, window: 64 })).toThrow(/smaller than the window/);
});

describe('attention-prefill, random caches', () => {
  const cases = [
    { heads: 8, kvHeads: 1, headDim: 256, rows: 33, capacity: 400, window: 0, startPos: 300 }, // full, 333 keys
    { heads: 8, kvHeads: 2, headDim: 512, rows: 7, capacity: 56, window: 50, startPos: 500 }, // tight ring
    { heads: 4, kvHeads: 2, headDim: 64, rows: 33, capacity: 52, window: 20, startPos: 77 },
    { heads: 1, kvHeads: 1, headDim: 32, rows: 1, capacity: 8, window: 0, startPos: 0 }, // one key
    { heads: 8, kvHeads: 2, headDim: 256, rows: 7, capacity: 7, window: 0, startPos: 0 }, // first chunk
    { heads: 8, kvHeads: 1, headDim: 512, rows: 33, capacity: 96, window: 64, startPos: 1000 },
    { heads: 4, kvHeads: 2, headDim: 32, rows: 33, capacity: 40, window: 8, startPos: 3 }, // window < rows
  ];
  it.each(cases)('heads $heads/$kvHeads headDim $headDim rows $rows capacity $capacity window $window start $startPos', async (c) => {
    const r = seeded(c.heads * 31 + c.headDim * 7 + c.rows);
    const width = c.kvHeads * c.headDim;
    const kc = r.array(c.capacity * width);
    const vc = r.array(c.capacity * width);
    const q = r.array(c.rows * c.heads * c.headDim);
    const out = empty(ctx, q.length * 4);
    const shape = { numHeads: c.heads, numKvHeads: c.kvHeads, headDim: c.headDim, capacity: c.capacity, window: c.window };
    const ops = bindAttentionPrefill(ctx, {
      ...shape,
      q: upload(ctx, q),
      kCache: upload(ctx, kc),
      vCache: upload(ctx, vc),
      out,
      rows: c.rows,
      step: stepBuffer(ctx, c.startPos),
    });
    submitOps(ctx, ops);
    const ref = attentionPrefill(q, kc, vc, c.rows, c.startPos, shape);
    expectClose(await readF32(ctx, out, 0, q.length), ref, atol(c.headDim), RTOL, 'out');
  });
});

describe('chunked prefill through kv-write, then decode', () => {
  const cases = [
    // sliding, tightest ring (window + rows - 1): 101 positions wrap the 30-slot ring 3 times; last chunk 3 rows
    { heads: 8, kvHeads: 1, headDim: 256, window: 24, chunk: 7, tokens: 101, decode: 4 },
    // GQA, window 16 < chunk: every chunk row sees a different key range
    { heads: 4, kvHeads: 2, headDim: 64, window: 16, chunk: 33, tokens: 110, decode: 3 },
    // full layer, hundreds of keys
    { heads: 8, kvHeads: 2, headDim: 512, window: 0, chunk: 33, tokens: 231, decode: 2 },
  ];
  it.each(cases)('heads $heads/$kvHeads headDim $headDim window $window chunk $chunk', async (c) => {
    const r = seeded(c.headDim * 3 + c.window);
    const eps = 1e-6;
    const width = c.kvHeads * c.headDim;
    const qWidth = c.heads * c.headDim;
    const total = c.tokens + c.decode;
    const capacity = c.window > 0 ? c.window + c.chunk - 1 : total;
    const invFreq = invFreqTable(c.headDim, c.window > 0 ? 'sliding' : 'proportional');
    const kNorm = Float32Array.from({ length: c.headDim }, () => 1 + 0.3 * r.normal());
    const qNorm = Float32Array.from({ length: c.headDim }, () => 1 + 0.3 * r.normal());
    const kIn = empty(ctx, c.chunk * width * 4);
    const vIn = empty(ctx, c.chunk * width * 4);
    const qIn = empty(ctx, c.chunk * qWidth * 4);
    const out = empty(ctx, c.chunk * qWidth * 4);
    const kCache = empty(ctx, capacity * width * 4);
    const vCache = empty(ctx, capacity * width * 4);
    const step = stepBuffer(ctx, 0);
    const kNormBuf = upload(ctx, kNorm);
    const invFreqBuf = upload(ctx, invFreq);
    const shape = { numKvHeads: c.kvHeads, headDim: c.headDim, capacity, step };
    const qNormBuf = upload(ctx, qNorm);
    const opsFor = (rows: number): BoundOp[] => [
      bindNormRope(ctx, { x: qIn, rows, heads: c.heads, headDim: c.headDim, weight: qNormBuf, invFreq: invFreqBuf, eps, step }),
      bindKvWrite(ctx, { ...shape, k: kIn, v: vIn, kCache, vCache, rows, eps, kNormWeight: kNormBuf, invFreq: invFreqBuf }),
      ...(rows === 1
        ? bindAttentionDecode(ctx, { ...shape, q: qIn, kCache, vCache, out, numHeads: c.heads, window: c.window })
        : bindAttentionPrefill(ctx, { ...shape, q: qIn, kCache, vCache, out, rows, numHeads: c.heads, window: c.window })),
    ];
    const bound = new Map<number, BoundOp[]>();
    const keys: Float64Array[] = [];
    const values: Float64Array[] = [];
    for (let start = 0; start < total; ) {
      const rows = start < c.tokens ? Math.min(c.chunk, c.tokens - start) : 1;
      const k = r.array(rows * width, 2);
      const v = r.array(rows * width, 2);
      const qRaw = r.array(rows * qWidth, 2);
      const q = normRopeRows(qRaw, rows, c.headDim, start, invFreq, qNorm, eps);
      const kRows = normRopeRows(k, rows, c.headDim, start, invFreq, kNorm, eps);
      const vRows = rmsNormSlices(v, c.headDim, undefined, eps);
      for (let i = 0; i < rows; i++) {
        keys.push(kRows.subarray(i * width, (i + 1) * width));
        values.push(vRows.subarray(i * width, (i + 1) * width));
      }
      writeBuffer(ctx, kIn, 0, k);
      writeBuffer(ctx, vIn, 0, v);
      writeBuffer(ctx, qIn, 0, qRaw);
      setStartPos(ctx, step, start);
      if (!bound.has(rows)) bound.set(rows, opsFor(rows));
      submitOps(ctx, bound.get(rows)!);
      const gpu = await readF32(ctx, out, 0, rows * qWidth);
      const ref = new Float64Array(rows * qWidth);
      for (let i = 0; i < rows; i++) {
        const qRow = q.subarray(i * qWidth, (i + 1) * qWidth);
        ref.set(attendOne(qRow, start + i, { keys, values }, c.heads, c.kvHeads, c.headDim, c.window || undefined), i * qWidth);
      }
      expectClose(gpu, ref, atol(c.headDim), RTOL, `chunk at ${start} (${rows} rows)`);
      start += rows;
    }
  });
});
