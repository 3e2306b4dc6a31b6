// kv-write on the GPU against the reference: ring slots that wrap inside a chunk, rows == capacity, both variants
// (k copied as is, or k_norm + RoPE fused); untouched slots must keep their old contents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { readF32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { kvWriteRows } from '../reference/kv-write.js';
import { expectClose, invFreqTable, stepBuffer } from './attention-test-helpers.js';
import { bindKvWrite } from './kv-write.js';
import { seeded, testContext, upload } from './test-helpers.js';

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

// f32 vs f64 norm (+ the rope of rope.gpu.test.ts): a few roundings on values ~1.
const ATOL = 2e-6;
const RTOL = 1e-5;

describe('kv-write', () => {
  const cases = [
    { kvHeads: 1, headDim: 256, rows: 1, capacity: 512, startPos: 1000, prep: true }, // decode into a wrapped ring
    { kvHeads: 2, headDim: 512, rows: 7, capacity: 9, startPos: 23, prep: true }, // slots 5..8, 0..2
    { kvHeads: 1, headDim: 32, rows: 33, capacity: 40, startPos: 75, prep: false }, // slots 35..39, 0..27
    { kvHeads: 2, headDim: 64, rows: 33, capacity: 33, startPos: 0, prep: true }, // rows == capacity
    { kvHeads: 2, headDim: 256, rows: 7, capacity: 700, startPos: 300, prep: false }, // full layer
    { kvHeads: 4, headDim: 96, rows: 5, capacity: 11, startPos: 60_001, prep: true }, // head not a multiple of WG
  ];
  it.each(cases)('kvHeads $kvHeads headDim $headDim rows $rows capacity $capacity start $startPos prep $prep', async (c) => {
    const r = seeded(c.kvHeads * 1000 + c.headDim + c.rows);
    const width = c.kvHeads * c.headDim;
    const k = r.array(c.rows * width, 2);
    const v = r.array(c.rows * width, 2);
    const k0 = r.array(c.capacity * width);
    const v0 = r.array(c.capacity * width);
    const kNorm = Float32Array.from({ length: c.headDim }, () => 1 + 0.3 * r.normal());
    const invFreq = invFreqTable(c.headDim, 'sliding');
    const kCache = upload(ctx, k0);
    const vCache = upload(ctx, v0);
    const op = bindKvWrite(ctx, {
      k: upload(ctx, k),
      v: upload(ctx, v),
      kCache,
      vCache,
      rows: c.rows,
      numKvHeads: c.kvHeads,
      headDim: c.headDim,
      capacity: c.capacity,
      eps: 1e-6,
      step: stepBuffer(ctx, c.startPos),
      ...(c.prep ? { kNormWeight: upload(ctx, kNorm), invFreq: upload(ctx, invFreq) } : {}),
    });
    submitOps(ctx, [op]);
    const kRef = Float64Array.from(k0);
    const vRef = Float64Array.from(v0);
    kvWriteRows(kRef, vRef, k, v, c.rows, c.headDim, c.capacity, c.startPos, 1e-6, c.prep ? { kNormWeight: kNorm, invFreq } : undefined);
    expectClose(await readF32(ctx, kCache, 0, c.capacity * width), kRef, ATOL, RTOL, 'k cache');
    expectClose(await readF32(ctx, vCache, 0, c.capacity * width), vRef, ATOL, RTOL, 'v cache');
  });

  it('refuses a chunk larger than the cache, and half of the fused k options', () => {
    const b = upload(ctx, new Float32Array(64));
    const base = { k: b, v: b, kCache: b, vCache: b, numKvHeads: 1, headDim: 8, eps: 1e-6, step: stepBuffer(ctx, 0) };
    expect(() => bindKvWrite(ctx, { ...base, rows: 5, capacity: 4 })).toThrow(/do not fit/);
    expect(() => bindKvWrite(ctx, { ...base, rows: 1, capacity: 4, kNormWeight: b })).toThrow(/both/);
  });
});
