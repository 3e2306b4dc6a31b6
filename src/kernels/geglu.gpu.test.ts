// geglu on the GPU against the reference: awkward sizes, the MLP layout and the strided PLE-slice layout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { gegluRows } from '../reference/geglu.js';
import { bindGeglu, bindGegluPacked } from './geglu.js';
import { empty, runAndRead, seeded, testContext, toleranceRatio, upload } from './test-helpers.js';

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

describe('geglu', () => {
  const cases = [
    { rows: 1, n: 6144, layers: 0, layer: 0 }, // decode MLP
    { rows: 5, n: 1000, layers: 0, layer: 0, inPlace: true }, // out === gate
    { rows: 5, n: 1000, layers: 0, layer: 0 }, // n not a multiple of the workgroup
    { rows: 33, n: 77, layers: 0, layer: 0 },
    { rows: 1, n: 1, layers: 0, layer: 0 },
    { rows: 3, n: 300, layers: 0, layer: 0, big: true }, // large |gate|: the exp form must not overflow
    { rows: 1, n: 256, layers: 35, layer: 34 }, // PLE gate: last layer's slice of [rows, L·P]
    { rows: 1, n: 256, layers: 35, layer: 17, inPlace: true },
    { rows: 5, n: 40, layers: 7, layer: 3 },
    { rows: 33, n: 24, layers: 3, layer: 0 },
  ];
  it.each(cases)('rows $rows n $n slice $layer/$layers in place $inPlace', async ({ rows, n, layers, layer, big, inPlace }) => {
    const r = seeded(rows * 7919 + n * 31 + layer);
    const gate = r.array(rows * n, big ? 60 : 2.5);
    const stride = layers ? layers * n : n;
    const up = r.array(rows * stride, 1.5);
    const gateBuf = upload(ctx, gate);
    const out = inPlace ? gateBuf : empty(ctx, rows * n * 4);
    const op = bindGeglu(ctx, {
      gate: gateBuf,
      up: upload(ctx, up),
      out,
      rows,
      n,
      upRowStride: layers ? stride : undefined,
      upOffset: layers ? layer * n : undefined,
    });
    const gpu = await runAndRead(ctx, [op], out, rows * n);
    const ref = gegluRows(gate, up, rows, n, stride, layers ? layer * n : 0);
    expect(toleranceRatio(gpu, ref, 1e-5, 1e-5).worst).toBeLessThan(1);
  });

  // The fused gate/up layout: [rows, 2n], gate then up per row; the result replaces each row's gate half and the
  // up half is left as it was.
  it.each([
    { rows: 1, n: 6144 },
    { rows: 5, n: 1000 },
    { rows: 33, n: 77 },
    { rows: 1, n: 1 },
  ])('packed gate/up rows $rows n $n', async ({ rows, n }) => {
    const r = seeded(rows * 131 + n);
    const gu = r.array(rows * 2 * n, 2.5);
    const buf = upload(ctx, gu);
    const gpu = await runAndRead(ctx, [bindGegluPacked(ctx, { gateUp: buf, rows, n })], buf, rows * 2 * n);
    const gate = new Float32Array(rows * n);
    for (let i = 0; i < rows; i++) gate.set(gu.subarray(2 * n * i, 2 * n * i + n), n * i);
    const ref = gegluRows(gate, gu, rows, n, 2 * n, n);
    const got = new Float32Array(rows * n);
    for (let i = 0; i < rows; i++) {
      got.set(gpu.subarray(2 * n * i, 2 * n * i + n), n * i);
      expect(Array.from(gpu.subarray(2 * n * i + n, 2 * n * (i + 1)))).toEqual(Array.from(gu.subarray(2 * n * i + n, 2 * n * (i + 1))));
    }
    expect(toleranceRatio(got, ref, 1e-5, 1e-5).worst).toBeLessThan(1);
  });

  it('rejects a slice that runs past the row', () => {
    const b = empty(ctx, 64 * 4);
    expect(() => bindGeglu(ctx, { gate: b, up: b, out: empty(ctx, 64 * 4), rows: 1, n: 16, upRowStride: 32, upOffset: 20 })).toThrow(RangeError);
  });
});
