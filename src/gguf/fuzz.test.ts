// Seeded fuzzing of the GGUF reader: thousands of mutated valid files (bit flips, random bytes, truncation,
// splicing, huge u64 fields, insertions, deletions) must each parse or throw a GgufError, quickly and without
// allocating more than the file could justify.
import { describe, expect, it } from 'vitest';
import { memorySource } from './byte-source.js';
import { GgufError } from './errors.js';
import { getBoolArray, getU32OrArray } from './metadata.js';
import { readGgufHeader } from './reader.js';
import { readTensorBytes, readTensorRows, tensorRowCount } from './tensor-data.js';
import { GgmlType, GgufValueType as T } from './types.js';
import type { GgufArray, GgufHeader, GgufValue } from './types.js';
import { planGguf, writeGguf } from './writer.js';
import type { GgufWriteSpec } from './writer.js';

/** mulberry32: a small seeded PRNG, so every failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const arr = (elementType: T, values: GgufValue[]): GgufArray => ({ kind: 'array', elementType, values });

function build(spec: GgufWriteSpec): Uint8Array {
  const plan = planGguf(spec);
  return writeGguf(spec, plan.tensorSizes.map((n, t) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + t) & 0xff)));
}

const SEEDS: Array<{ name: string; file: Uint8Array }> = [
  {
    name: 'every value type',
    file: build({
      metadata: [
        { key: 'general.architecture', type: T.STRING, value: 'gemma4' },
        { key: 'u8', type: T.UINT8, value: 7 },
        { key: 'i8', type: T.INT8, value: -7 },
        { key: 'u16', type: T.UINT16, value: 700 },
        { key: 'i16', type: T.INT16, value: -700 },
        { key: 'u32', type: T.UINT32, value: 70000 },
        { key: 'i32', type: T.INT32, value: -70000 },
        { key: 'f32', type: T.FLOAT32, value: 0.25 },
        { key: 'bool', type: T.BOOL, value: true },
        { key: 'u64', type: T.UINT64, value: 2n ** 40n },
        { key: 'i64', type: T.INT64, value: -(2n ** 40n) },
        { key: 'f64', type: T.FLOAT64, value: 1.5 },
        { key: 'str', type: T.STRING, value: 'héllo 🙂' },
        { key: 'arr.i32', type: T.ARRAY, value: arr(T.INT32, [1, 2, 3, 4]) },
        { key: 'arr.bool', type: T.ARRAY, value: arr(T.BOOL, [true, false, true, true]) },
        { key: 'arr.nested', type: T.ARRAY, value: arr(T.ARRAY, [arr(T.STRING, ['a', 'bc']), arr(T.UINT64, [1n])]) },
      ],
      tensors: [
        { name: 'token_embd.weight', dims: [32, 4], type: GgmlType.Q8_0 },
        { name: 'output_norm.weight', dims: [8], type: GgmlType.F32 },
        { name: 'blk.0.attn_q.weight', dims: [32, 2, 1], type: GgmlType.Q4_0 },
      ],
    }),
  },
  {
    name: 'v2, alignment 64, tokenizer arrays',
    file: build({
      version: 2,
      metadata: [
        { key: 'general.alignment', type: T.UINT32, value: 64 },
        { key: 'tokenizer.ggml.tokens', type: T.ARRAY, value: arr(T.STRING, ['<pad>', '<eos>', '▁a', 'b', '日本']) },
        { key: 'tokenizer.ggml.scores', type: T.ARRAY, value: arr(T.FLOAT32, [0, 0, -1, -2, -3]) },
        { key: 'tokenizer.ggml.merges', type: T.ARRAY, value: arr(T.STRING, ['▁ a', 'a b']) },
      ],
      tensors: [
        { name: 'a', dims: [4], type: GgmlType.F32 },
        { name: 'b', dims: [256], type: GgmlType.Q4_K },
        { name: 'c', dims: [2, 2, 2, 2], type: GgmlType.F16 },
      ],
    }),
  },
  {
    name: 'tensors only',
    file: build({
      metadata: [],
      tensors: Array.from({ length: 6 }, (_, i) => ({ name: `blk.${i}.w`, dims: [32, i + 1], type: GgmlType.Q8_0 })),
    }),
  },
  {
    name: 'metadata only',
    file: build({
      metadata: [
        { key: 'gemma4.feed_forward_length', type: T.ARRAY, value: arr(T.UINT32, [8, 8, 16, 16]) },
        { key: 'tokenizer.chat_template', type: T.STRING, value: '{{ bos_token }}{% for m in messages %}{% endfor %}' },
        { key: 'deep', type: T.ARRAY, value: arr(T.ARRAY, [arr(T.ARRAY, [arr(T.INT8, [-1, 1])])]) },
      ],
      tensors: [],
    }),
  },
];

const HUGE_U64 = [2n ** 64n - 1n, 2n ** 63n, 2n ** 60n, 2n ** 53n + 1n, 2n ** 32n, 2n ** 31n, 0n, 1n];

function u64Bytes(v: bigint): number[] {
  return Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
}

/** One seeded mutation of `file`; `other` is a second seed for splicing. Mutations favour the header. */
function mutate(file: Uint8Array, other: Uint8Array, headerEnd: number, rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  const pos = () => (rand() < 0.9 ? int(headerEnd) : int(file.byteLength));
  const out = file.slice();
  switch (int(8)) {
    case 0: {
      for (let i = 1 + int(8); i > 0; i--) out[pos()] ^= 1 << int(8);
      return out;
    }
    case 1: {
      const at = pos();
      for (let i = 0; i < 1 + int(16) && at + i < out.length; i++) out[at + i] = int(256);
      return out;
    }
    case 2:
      return file.slice(0, int(file.byteLength));
    case 3: {
      const cut = int(file.byteLength);
      const from = int(other.byteLength);
      const spliced = new Uint8Array(cut + other.byteLength - from);
      spliced.set(file.subarray(0, cut));
      spliced.set(other.subarray(from), cut);
      return spliced;
    }
    case 4: {
      const at = Math.min(pos(), out.length - 8);
      out.set(u64Bytes(HUGE_U64[int(HUGE_U64.length)] + BigInt(int(3))), Math.max(0, at));
      return out;
    }
    case 5: {
      // A u32 field set to a small number: types, n_dims and value types live here.
      const at = Math.max(0, Math.min(pos(), out.length - 4));
      out.set([int(40), 0, 0, 0], at);
      return out;
    }
    case 6: {
      const at = pos();
      const inserted = Array.from({ length: 1 + int(16) }, () => int(256));
      return Uint8Array.from([...file.subarray(0, at), ...inserted, ...file.subarray(at)]);
    }
    default: {
      const at = pos();
      return Uint8Array.from([...file.subarray(0, at), ...file.subarray(at + 1 + int(16))]);
    }
  }
}

/** Checks a header that parsed: placements hold, tensor reads work, getters only ever throw GgufError. */
async function checkParsed(header: GgufHeader, file: Uint8Array): Promise<void> {
  const source = memorySource(file);
  expect(header.dataOffset % header.alignment).toBe(0);
  for (const t of header.tensors) {
    expect(header.dataOffset + t.offset + t.byteSize).toBeLessThanOrEqual(file.byteLength);
    expect((await readTensorBytes(source, header, t)).byteLength).toBe(t.byteSize);
    if (tensorRowCount(t) > 0) await readTensorRows(source, header, t, tensorRowCount(t) - 1, 1);
  }
  let elements = 0;
  const count = (v: GgufValue): void => {
    if (typeof v === 'object') {
      elements += v.values.length;
      v.values.forEach(count);
    }
  };
  for (const [key, entry] of header.metadata) {
    count(entry.value);
    for (const get of [() => getU32OrArray(header, key, 4), () => getBoolArray(header, key)]) {
      try {
        get();
      } catch (error) {
        expect(error).toBeInstanceOf(GgufError);
      }
    }
  }
  // Every parsed array element took at least one byte of the file: nothing was allocated from a lying count.
  expect(elements).toBeLessThanOrEqual(file.byteLength);
}

describe('fuzzing the reader', () => {
  it('valid seeds parse', async () => {
    for (const seed of SEEDS) await checkParsed(await readGgufHeader(memorySource(seed.file)), seed.file);
  });

  it('3,600 mutations each parse or throw GgufError, fast', async () => {
    const perSeed = 900;
    const outcomes = new Map<string, number>();
    const heapBefore = process.memoryUsage().heapUsed;
    let slowest = 0;
    for (const [s, seed] of SEEDS.entries()) {
      const headerEnd = (await readGgufHeader(memorySource(seed.file))).dataOffset;
      const other = SEEDS[(s + 1) % SEEDS.length].file;
      for (let i = 0; i < perSeed; i++) {
        const rand = prng(s * 100_000 + i);
        const file = mutate(seed.file, other, headerEnd, rand);
        const options = i % 2 ? { initialReadBytes: 1 + Math.floor(rand() * 64) } : {};
        const started = performance.now();
        let outcome: string;
        try {
          const header = await readGgufHeader(memorySource(file), options);
          await checkParsed(header, file);
          outcome = 'ok';
        } catch (error) {
          if (!(error instanceof GgufError)) {
            throw new Error(`seed "${seed.name}" mutation ${i}: ${String(error)}`, { cause: error });
          }
          expect(error.message.length).toBeGreaterThan(20);
          outcome = error.code;
        }
        slowest = Math.max(slowest, performance.now() - started);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }
    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(SEEDS.length * perSeed);
    // The mutations reach deep: many files still parse and many distinct checks fire.
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(100);
    expect(outcomes.size).toBeGreaterThanOrEqual(10);
    expect(slowest).toBeLessThan(1000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(512 * 1024 * 1024);
  });
});
