// Tests for the GGUF writer: byte-exact layout, round trips of every value type through the reader (v2 and v3,
// custom alignment), tensor placement and padding, and rejection of bad specs.
import { describe, expect, it } from 'vitest';
import { memorySource } from './byte-source.js';
import { GgufError } from './errors.js';
import type { GgufErrorCode } from './errors.js';
import { readGgufHeader } from './reader.js';
import { readTensorBytes } from './tensor-data.js';
import { GgmlType, GgufValueType as T } from './types.js';
import type { GgufArray, GgufValue } from './types.js';
import { planGguf, writeGguf } from './writer.js';
import type { GgufWriteSpec } from './writer.js';

const arr = (elementType: T, values: GgufValue[]): GgufArray => ({ kind: 'array', elementType, values });

/** One entry of every value type, with edge values, empty and nested arrays. */
const ALL_TYPES: GgufWriteSpec['metadata'] = [
  { key: 'u8', type: T.UINT8, value: 255 },
  { key: 'i8', type: T.INT8, value: -128 },
  { key: 'u16', type: T.UINT16, value: 65535 },
  { key: 'i16', type: T.INT16, value: -32768 },
  { key: 'u32', type: T.UINT32, value: 0xffffffff },
  { key: 'i32', type: T.INT32, value: -0x80000000 },
  { key: 'f32', type: T.FLOAT32, value: 1e-6 },
  { key: 'f32.inf', type: T.FLOAT32, value: -Infinity },
  { key: 'bool.t', type: T.BOOL, value: true },
  { key: 'bool.f', type: T.BOOL, value: false },
  { key: 'str', type: T.STRING, value: 'héllo ▁wörld 日本 🙂👍🏽' },
  { key: 'str.empty', type: T.STRING, value: '' },
  { key: 'str.bom.nul', type: T.STRING, value: '\uFEFFa\u0000b' },
  { key: 'u64', type: T.UINT64, value: 2n ** 64n - 1n },
  { key: 'i64', type: T.INT64, value: -(2n ** 63n) },
  { key: 'f64', type: T.FLOAT64, value: Math.PI },
  { key: 'arr.empty', type: T.ARRAY, value: arr(T.INT32, []) },
  { key: 'arr.u8', type: T.ARRAY, value: arr(T.UINT8, [0, 1, 255]) },
  { key: 'arr.i8', type: T.ARRAY, value: arr(T.INT8, [-1, 127]) },
  { key: 'arr.u16', type: T.ARRAY, value: arr(T.UINT16, [1, 65535]) },
  { key: 'arr.i16', type: T.ARRAY, value: arr(T.INT16, [-2, 3]) },
  { key: 'arr.u32', type: T.ARRAY, value: arr(T.UINT32, [4, 0xfffffffe]) },
  { key: 'arr.i32', type: T.ARRAY, value: arr(T.INT32, [-5, 6]) },
  { key: 'arr.f32', type: T.ARRAY, value: arr(T.FLOAT32, [0.5, -0, NaN]) },
  { key: 'arr.bool', type: T.ARRAY, value: arr(T.BOOL, [true, false, true]) },
  { key: 'arr.str', type: T.ARRAY, value: arr(T.STRING, ['a', '', 'ü', '<0x0A>']) },
  { key: 'arr.u64', type: T.ARRAY, value: arr(T.UINT64, [0n, 2n ** 63n]) },
  { key: 'arr.i64', type: T.ARRAY, value: arr(T.INT64, [-1n, 2n ** 62n]) },
  { key: 'arr.f64', type: T.ARRAY, value: arr(T.FLOAT64, [1e300, -1e-300]) },
  {
    key: 'arr.nested',
    type: T.ARRAY,
    value: arr(T.ARRAY, [arr(T.STRING, ['x', 'y']), arr(T.STRING, []), arr(T.STRING, ['🙂'])]),
  },
  { key: 'arr.nested.deep', type: T.ARRAY, value: arr(T.ARRAY, [arr(T.ARRAY, [arr(T.UINT64, [7n])]), arr(T.ARRAY, [])]) },
];

const TENSORS: GgufWriteSpec['tensors'] = [
  { name: 'token_embd.weight', dims: [64, 3], type: GgmlType.Q8_0 },
  { name: 'output_norm.weight', dims: [5], type: GgmlType.F32 },
  { name: 'blk.0.ffn_up.weight', dims: [256, 2], type: GgmlType.Q4_K },
  { name: 'one', dims: [1, 1, 1, 3], type: GgmlType.F16 },
];

function dataFor(spec: GgufWriteSpec): Uint8Array[] {
  return planGguf(spec).tensorSizes.map((size, t) => Uint8Array.from({ length: size }, (_, i) => (i * 7 + t + 1) & 0xff));
}

function errorOf(fn: () => unknown): GgufError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GgufError);
    return error as GgufError;
  }
  throw new Error('expected a GgufError');
}

function expectCode(fn: () => unknown, code: GgufErrorCode, message?: RegExp): void {
  const error = errorOf(fn);
  expect(error.code, error.message).toBe(code);
  if (message) expect(error.message).toMatch(message);
}

describe('writeGguf round trips through readGgufHeader', () => {
  for (const version of [2, 3] as const) {
    for (const alignment of [undefined, 1, 8, 64, 4096]) {
      it(`every value type and tensors, v${version}, alignment ${alignment ?? 'default'}`, async () => {
        const alignKey = alignment === undefined ? [] : [{ key: 'general.alignment', type: T.UINT32, value: alignment }];
        const metadata = [...alignKey, ...ALL_TYPES];
        const spec: GgufWriteSpec = { version, alignment, metadata, tensors: TENSORS };
        const data = dataFor(spec);
        const file = writeGguf(spec, data);
        const source = memorySource(file);
        const header = await readGgufHeader(source, { initialReadBytes: 64 });
        expect(header.version).toBe(version);
        expect(header.alignment).toBe(alignment ?? 32);
        expect([...header.metadata.keys()]).toEqual(metadata.map((m) => m.key));
        for (const { key, type, value } of ALL_TYPES) {
          const entry = header.metadata.get(key);
          expect(entry?.type, key).toBe(type);
          if (type === T.FLOAT32 && typeof value === 'number') expect(entry?.value).toBe(Math.fround(value));
          else if (key === 'arr.f32') expect(entry?.value).toEqual(arr(T.FLOAT32, [0.5, -0, NaN]));
          else expect(entry?.value, key).toEqual(value);
        }
        expect(header.tensors.map((t) => [t.name, t.dims, t.type])).toEqual(TENSORS.map((t) => [t.name, t.dims, t.type]));
        for (const [i, t] of header.tensors.entries()) {
          expect(await readTensorBytes(source, header, t)).toEqual(data[i]);
        }
      });
    }
  }

  it('bigints come back as bigint and u64 accepts safe-integer numbers', async () => {
    const file = writeGguf({ metadata: [{ key: 'n', type: T.UINT64, value: 42 }], tensors: [] }, []);
    const header = await readGgufHeader(memorySource(file));
    expect(header.metadata.get('n')?.value).toBe(42n);
  });

  it('a large vocabulary-sized array round trips', async () => {
    const tokens = Array.from({ length: 50_000 }, (_, i) => (i % 2 ? '▁' : '') + `t${i}`);
    const file = writeGguf({ metadata: [{ key: 'tokenizer.ggml.tokens', type: T.ARRAY, value: arr(T.STRING, tokens) }], tensors: [] }, []);
    const header = await readGgufHeader(memorySource(file), { initialReadBytes: 4096 });
    expect((header.metadata.get('tokenizer.ggml.tokens')?.value as GgufArray).values).toEqual(tokens);
  });
});

describe('writeGguf layout', () => {
  it('writes the exact bytes of the format', () => {
    const file = writeGguf(
      { metadata: [{ key: 'k', type: T.UINT16, value: 0x0102 }], tensors: [{ name: 't', dims: [2], type: GgmlType.F32 }] },
      [Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])],
    );
    const expected = [
      0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, // magic, version 3
      1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, // 1 tensor, 1 key
      1, 0, 0, 0, 0, 0, 0, 0, 0x6b, 2, 0, 0, 0, 0x02, 0x01, // "k": UINT16 0x0102
      1, 0, 0, 0, 0, 0, 0, 0, 0x74, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      // tensor "t": 1 dim of 2, F32, offset 0
    ];
    const padded = [...expected, ...new Array(96 - expected.length).fill(0)];
    expect([...file.subarray(0, 96)]).toEqual(padded);
    expect([...file.subarray(96)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, ...new Array(24).fill(0)]);
  });

  it('places tensors in order at aligned offsets, zero-padded, and pads the header', () => {
    const spec: GgufWriteSpec = { metadata: [{ key: 'general.alignment', type: T.UINT32, value: 64 }], tensors: TENSORS };
    const plan = planGguf(spec);
    expect(plan.header.byteLength).toBe(plan.dataOffset);
    expect(plan.dataOffset % 64).toBe(0);
    expect(plan.tensorOffsets).toEqual([0, 256, 320, 640]);
    expect(plan.tensorSizes).toEqual([204, 20, 288, 6]);
    expect(plan.totalSize).toBe(plan.dataOffset + 704);
    const file = writeGguf(spec, plan.tensorSizes.map((n) => new Uint8Array(n).fill(0xee)));
    expect(file.byteLength).toBe(plan.totalSize);
    for (let i = 0; i < TENSORS.length; i++) {
      const start = plan.dataOffset + plan.tensorOffsets[i];
      const next = i + 1 < TENSORS.length ? plan.dataOffset + plan.tensorOffsets[i + 1] : plan.totalSize;
      expect(file.subarray(start, start + plan.tensorSizes[i]).every((b) => b === 0xee)).toBe(true);
      expect(file.subarray(start + plan.tensorSizes[i], next).every((b) => b === 0)).toBe(true);
    }
  });

  it('writes general.alignment only when the caller lists it, and honours it', async () => {
    const without = await readGgufHeader(memorySource(writeGguf({ alignment: 32, metadata: [], tensors: [] }, [])));
    expect(without.metadata.has('general.alignment')).toBe(false);
    expectCode(() => planGguf({ alignment: 16, metadata: [], tensors: [] }), 'BAD_ALIGNMENT', /general\.alignment/);
    const spec: GgufWriteSpec = {
      metadata: [{ key: 'general.alignment', type: T.UINT32, value: 128 }],
      tensors: [{ name: 'a', dims: [3], type: GgmlType.F32 }, { name: 'b', dims: [3], type: GgmlType.F32 }],
    };
    const header = await readGgufHeader(memorySource(writeGguf(spec, dataFor(spec))));
    expect(header.alignment).toBe(128);
    expect(header.tensors[1].offset).toBe(128);
  });
});

describe('writeGguf rejects bad specs', () => {
  const base = (over: Partial<GgufWriteSpec>): GgufWriteSpec => ({ metadata: [], tensors: [], ...over });
  const meta = (type: T, value: unknown) => base({ metadata: [{ key: 'bad.key', type, value: value as GgufValue }] });

  it('values that do not fit their declared type', () => {
    const cases: Array<[T, unknown]> = [
      [T.UINT8, 256], [T.UINT8, -1], [T.INT8, 128], [T.UINT16, 1.5], [T.INT16, '3'], [T.UINT32, 2 ** 32],
      [T.INT32, 2 ** 31], [T.FLOAT32, '1'], [T.BOOL, 1], [T.UINT64, -1n], [T.UINT64, 2n ** 64n], [T.INT64, 2n ** 63n],
      [T.UINT64, 2 ** 60], [T.FLOAT64, 1n], [T.ARRAY, [1, 2]], [T.ARRAY, arr(77 as T, [])], [T.ARRAY, arr(T.UINT8, [300])],
      [T.ARRAY, arr(T.ARRAY, [1])], [99 as T, 1],
    ];
    for (const [type, value] of cases) {
      expectCode(() => planGguf(meta(type, value)), 'BAD_VALUE_TYPE', /bad\.key/);
    }
    expectCode(() => planGguf(meta(T.ARRAY, arr(T.UINT8, [1, 300]))), 'BAD_VALUE_TYPE', /"bad\.key"\[1\]/);
  });

  it('bad strings, keys and names', () => {
    expectCode(() => planGguf(meta(T.STRING, 'a\uD800b')), 'BAD_STRING', /surrogate/);
    expectCode(() => planGguf(meta(T.STRING, 5)), 'BAD_STRING');
    expectCode(() => planGguf(base({ metadata: [{ key: '', type: T.BOOL, value: true }] })), 'BAD_STRING');
    const tensor = (name: string) => base({ tensors: [{ name, dims: [4], type: GgmlType.F32 }] });
    expectCode(() => planGguf(tensor('')), 'BAD_STRING');
    expectCode(() => planGguf(tensor('x'.repeat(64))), 'BAD_STRING', /63/);
    expect(() => planGguf(tensor('x'.repeat(63)))).not.toThrow();
  });

  it('duplicates', () => {
    const kv = { key: 'a', type: T.BOOL, value: true };
    expectCode(() => planGguf(base({ metadata: [kv, kv] })), 'DUPLICATE_KEY', /"a"/);
    const t = { name: 'w', dims: [4], type: GgmlType.F32 };
    expectCode(() => planGguf(base({ tensors: [t, t] })), 'DUPLICATE_TENSOR', /"w"/);
  });

  it('bad shapes and types', () => {
    const tensor = (dims: number[], type = GgmlType.F32) => base({ tensors: [{ name: 'w', dims, type }] });
    for (const dims of [[], [0], [1, 2, 3, 4, 5], [1.5], [-1], [2 ** 30, 2 ** 30]]) {
      expectCode(() => planGguf(tensor(dims)), 'BAD_TENSOR_SHAPE', /"w"/);
    }
    expectCode(() => planGguf(tensor([33], GgmlType.Q8_0)), 'BAD_TENSOR_SHAPE', /block size/);
    expectCode(() => planGguf(tensor([4], 200 as GgmlType)), 'UNSUPPORTED_TENSOR_TYPE', /"w".*200/);
    expect(planGguf(tensor([256], GgmlType.IQ2_XS)).tensorSizes).toEqual([74]);
  });

  it('bad alignment and version', () => {
    expectCode(() => planGguf(base({ alignment: 0 })), 'BAD_ALIGNMENT');
    expectCode(() => planGguf(base({ alignment: 3 })), 'BAD_ALIGNMENT');
    const metaAlign = (value: number, type = T.UINT32) => base({ metadata: [{ key: 'general.alignment', type, value }] });
    expectCode(() => planGguf(metaAlign(48)), 'BAD_ALIGNMENT');
    expectCode(() => planGguf(metaAlign(32, T.INT32)), 'BAD_ALIGNMENT');
    expectCode(() => planGguf({ ...metaAlign(32), alignment: 64 }), 'BAD_ALIGNMENT', /disagrees/);
    expectCode(() => planGguf(base({ version: 1 as 2 })), 'UNSUPPORTED_VERSION');
  });

  it('tensor data of the wrong size or count', () => {
    const spec = base({ tensors: [{ name: 'w', dims: [4], type: GgmlType.F32 }] });
    expectCode(() => writeGguf(spec, [new Uint8Array(15)]), 'TENSOR_SIZE_MISMATCH', /"w".*15.*16/);
    expectCode(() => writeGguf(spec, []), 'TENSOR_SIZE_MISMATCH');
    expectCode(() => writeGguf(spec, [new Uint8Array(16), new Uint8Array(1)]), 'TENSOR_SIZE_MISMATCH');
  });
});
