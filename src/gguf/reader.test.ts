// Tests for the streaming GGUF header reader: hand-built files byte by byte, one per error code, truncation at
// every position, incremental reads that never touch the tensor data, and tensor/row reads.
import { describe, expect, it } from 'vitest';
import { blobSource, memorySource } from './byte-source.js';
import { GgufError } from './errors.js';
import type { GgufErrorCode } from './errors.js';
import { readGgufHeader } from './reader.js';
import { readTensorBytes, readTensorRows, tensorRowBytes, tensorRowCount } from './tensor-data.js';
import { decodeUtf8 } from './utf8.js';
import type { ReadGgufOptions } from './reader.js';
import { GgmlType, GgufValueType as T } from './types.js';
import type { ByteSource } from './types.js';
import { planGguf, writeGguf } from './writer.js';

/** Builds GGUF bytes field by field, so tests can write exactly the broken value they need. */
class Raw {
  private readonly parts: number[] = [];
  get length(): number {
    return this.parts.length;
  }
  u8(...values: number[]): this {
    this.parts.push(...values);
    return this;
  }
  u32(v: number): this {
    for (let i = 0; i < 4; i++) this.parts.push(Math.floor(v / 2 ** (8 * i)) & 0xff);
    return this;
  }
  u64(v: bigint | number): this {
    const big = BigInt(v);
    for (let i = 0n; i < 8n; i++) this.parts.push(Number((big >> (8n * i)) & 0xffn));
    return this;
  }
  /** A string: u64 length then bytes (a JS string is UTF-8 encoded; raw bytes are written as given). */
  str(s: string | number[], length?: bigint | number): this {
    const bytes = typeof s === 'string' ? [...new TextEncoder().encode(s)] : s;
    this.u64(length ?? bytes.length);
    return this.u8(...bytes);
  }
  /** GGUF magic, version, tensor count, metadata count. */
  preamble(tensors: bigint | number, kvs: bigint | number, version = 3): this {
    return this.u8(0x47, 0x47, 0x55, 0x46).u32(version).u64(tensors).u64(kvs);
  }
  kvU32(key: string, v: number): this {
    return this.str(key).u32(T.UINT32).u32(v);
  }
  tensor(name: string, dims: Array<bigint | number>, type: number, offset: bigint | number): this {
    this.str(name).u32(dims.length);
    dims.forEach((d) => this.u64(d));
    return this.u32(type).u64(offset);
  }
  /** Pads with zeros to `alignment`, then appends `dataBytes` zero bytes of tensor data. */
  data(dataBytes: number, alignment = 32): this {
    while (this.parts.length % alignment) this.parts.push(0);
    for (let i = 0; i < dataBytes; i++) this.parts.push(0);
    return this;
  }
  bytes() {
    return Uint8Array.from(this.parts);
  }
}

async function parse(bytes: Uint8Array, options?: ReadGgufOptions) {
  return readGgufHeader(memorySource(bytes), options);
}

async function failure(bytes: Uint8Array | Promise<unknown>, options?: ReadGgufOptions): Promise<GgufError> {
  try {
    await (bytes instanceof Uint8Array ? parse(bytes, options) : bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(GgufError);
    return error as GgufError;
  }
  throw new Error('expected a GgufError, but parsing succeeded');
}

async function expectCode(bytes: Uint8Array, code: GgufErrorCode, message?: RegExp, options?: ReadGgufOptions) {
  const error = await failure(bytes, options);
  expect(error.code, error.message).toBe(code);
  if (message) expect(error.message).toMatch(message);
  return error;
}

/** A source that counts reads, to prove the reader reads only the header. */
function countingSource(inner: ByteSource) {
  const stats = { reads: 0, bytes: 0 };
  const source: ByteSource = {
    size: inner.size,
    read(offset, length) {
      stats.reads++;
      stats.bytes += length;
      return inner.read(offset, length);
    },
  };
  return { source, stats };
}

/** The header of smallFile(): two F32 tensors ([4] and [2, 3]) with a little metadata, built by hand. */
function smallHeader(version = 3): Raw {
  return new Raw()
    .preamble(2, 2, version)
    .kvU32('general.alignment', 32)
    .str('general.name').u32(T.STRING).str('tiny')
    .tensor('a', [4], GgmlType.F32, 0)
    .tensor('b', [2, 3], GgmlType.F32, 32);
}

function smallFile(version = 3) {
  return smallHeader(version).data(56).bytes();
}

describe('readGgufHeader on valid files', () => {
  it('parses a hand-built v3 file field by field', async () => {
    const bytes = smallFile();
    const header = await parse(bytes);
    expect(header.version).toBe(3);
    expect(header.alignment).toBe(32);
    expect(header.fileSize).toBe(bytes.byteLength);
    expect([...header.metadata.keys()]).toEqual(['general.alignment', 'general.name']);
    expect(header.metadata.get('general.name')).toEqual({ type: T.STRING, value: 'tiny' });
    expect(header.tensors).toEqual([
      { name: 'a', dims: [4], type: GgmlType.F32, offset: 0, byteSize: 16, elementCount: 4 },
      { name: 'b', dims: [2, 3], type: GgmlType.F32, offset: 32, byteSize: 24, elementCount: 6 },
    ]);
    expect(header.dataOffset % 32).toBe(0);
    expect(header.dataOffset + 56).toBe(bytes.byteLength);
  });

  it('parses v2 files the same way', async () => {
    const header = await parse(smallFile(2));
    expect(header.version).toBe(2);
    expect(header.tensors.map((t) => t.name)).toEqual(['a', 'b']);
  });

  it('accepts a file with no tensors and no metadata', async () => {
    const header = await parse(new Raw().preamble(0, 0).bytes());
    expect(header.tensors).toEqual([]);
    expect(header.metadata.size).toBe(0);
    expect(header.dataOffset).toBe(32);
  });

  it('uses general.alignment for the data offset and tensor offsets', async () => {
    const bytes = new Raw().preamble(2, 1).kvU32('general.alignment', 256)
      .tensor('x', [8], GgmlType.F32, 0).tensor('y', [8], GgmlType.F32, 256).data(256 + 32, 256).bytes();
    const header = await parse(bytes);
    expect(header.alignment).toBe(256);
    expect(header.dataOffset).toBe(256);
  });

  it('parses known types it cannot run (IQ2_XS) and a 0-dim tensor like llama.cpp', async () => {
    const bytes = new Raw().preamble(2, 0).tensor('iq', [256, 2], GgmlType.IQ2_XS, 0).tensor('s', [], GgmlType.F32, 160)
      .data(192).bytes();
    const header = await parse(bytes);
    expect(header.tensors[0].byteSize).toBe(148);
    expect(header.tensors[1]).toMatchObject({ dims: [], elementCount: 1, byteSize: 4 });
  });

  it('reads from a Blob', async () => {
    const bytes = smallFile();
    const header = await readGgufHeader(blobSource(new Blob([bytes])));
    expect(header.tensors.length).toBe(2);
  });

  it('reads a header bigger than the first read in several growing chunks', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024); // bigger than the default 1 MiB first read
    const spec = {
      metadata: [
        { key: 'a', type: T.STRING, value: big },
        { key: 'b', type: T.ARRAY, value: { kind: 'array' as const, elementType: T.STRING, values: ['é', big, '🙂'] } },
      ],
      tensors: [{ name: 't', dims: [1024 * 1024], type: GgmlType.F32 }],
    };
    const file = writeGguf(spec, [new Uint8Array(4 * 1024 * 1024).fill(7)]);
    const { source, stats } = countingSource(memorySource(file));
    const header = await readGgufHeader(source);
    expect(header.metadata.get('a')?.value).toBe(big);
    expect(stats.reads).toBeGreaterThan(1);
    expect(stats.reads).toBeLessThanOrEqual(5);
    // The reader never asks for the 4 MiB of tensor data beyond what doubling the buffer brings in.
    expect(stats.bytes).toBeLessThan(2 * header.dataOffset);
    const data = await readTensorBytes(memorySource(file), header, header.tensors[0]);
    expect(data.every((b) => b === 7)).toBe(true);
  });

  it('reads only ~1 MiB of a 50 MB file with a small header', async () => {
    const spec = {
      metadata: [{ key: 'general.architecture', type: T.STRING, value: 'gemma4' }],
      tensors: [{ name: 'big', dims: [4096, 3072], type: GgmlType.F32 }],
    };
    const plan = planGguf(spec);
    // A virtual 50 MB file: the real header, then zeros served without ever being stored.
    const virtual: ByteSource = {
      size: plan.totalSize,
      async read(offset, length) {
        const out = new Uint8Array(length);
        if (offset < plan.header.byteLength) out.set(plan.header.subarray(offset, offset + length));
        return out;
      },
    };
    const { source, stats } = countingSource(virtual);
    const header = await readGgufHeader(source);
    expect(plan.totalSize).toBeGreaterThan(50_000_000);
    expect(header.tensors[0].byteSize).toBe(4096 * 3072 * 4);
    expect(stats.reads).toBe(1);
    expect(stats.bytes).toBeLessThanOrEqual(1024 * 1024);
  });

  it('grows from a tiny first read and still parses', async () => {
    const { source, stats } = countingSource(memorySource(smallFile()));
    const header = await readGgufHeader(source, { initialReadBytes: 8 });
    expect(header.tensors.length).toBe(2);
    expect(stats.reads).toBeGreaterThan(2);
    expect(stats.bytes).toBeLessThanOrEqual(header.fileSize);
  });
});

describe('tensor reads', () => {
  it('reads whole tensors and row ranges', async () => {
    const rows = 5;
    const rowElems = 64;
    const data = new Uint8Array(rows * (rowElems / 32) * 34).map((_, i) => i & 0xff);
    const file = writeGguf({ metadata: [], tensors: [{ name: 'ple', dims: [rowElems, rows], type: GgmlType.Q8_0 }] }, [data]);
    const source = memorySource(file);
    const header = await readGgufHeader(source);
    const t = header.tensors[0];
    expect(tensorRowCount(t)).toBe(5);
    expect(tensorRowBytes(t)).toBe(68);
    expect(await readTensorBytes(source, header, t)).toEqual(data);
    expect(await readTensorRows(source, header, t, 2, 2)).toEqual(data.subarray(136, 272));
    expect(await readTensorRows(source, header, t, 4, 1)).toEqual(data.subarray(272));
    await expect(readTensorRows(source, header, t, 4, 2)).rejects.toThrow(RangeError);
    await expect(readTensorRows(source, header, t, -1, 1)).rejects.toThrow(RangeError);
  });

  it('a source that returns short reads is refused with TRUNCATED', async () => {
    const inner = memorySource(smallFile());
    const short: ByteSource = { size: inner.size, read: async (o, l) => (await inner.read(o, l)).subarray(0, l - 1) };
    expect((await failure(readGgufHeader(short))).code).toBe('TRUNCATED');
  });

  it('byte sources reject reads past the end with TRUNCATED', async () => {
    for (const source of [memorySource(new Uint8Array(10)), blobSource(new Blob([new Uint8Array(10)]))]) {
      expect((await failure(source.read(5, 6))).code).toBe('TRUNCATED');
      expect(await source.read(5, 5)).toHaveLength(5);
    }
  });
});

describe('readGgufHeader rejects broken files', () => {
  it('wrong magic', async () => {
    const bytes = smallFile();
    bytes[0] = 0x7f;
    await expectCode(bytes, 'BAD_MAGIC', /7f 47 55 46/);
  });

  it('version 1, 4 and big-endian', async () => {
    await expectCode(new Raw().preamble(0, 0, 1).bytes(), 'UNSUPPORTED_VERSION', /version 1/);
    await expectCode(new Raw().preamble(0, 0, 4).bytes(), 'UNSUPPORTED_VERSION', /version 4/);
    await expectCode(new Raw().preamble(0, 0, 0).bytes(), 'UNSUPPORTED_VERSION');
    // A big-endian writer stores version 3 as bytes 00 00 00 03 (and its counts swapped too).
    await expectCode(new Raw().preamble(0, 0, 0x03000000).bytes(), 'UNSUPPORTED_VERSION', /big-endian/);
  });

  it('truncated at every position', async () => {
    const bytes = smallFile();
    const headerEnd = smallHeader().length;
    const header = await parse(bytes);
    const lastEnd = header.dataOffset + Math.max(...header.tensors.map((t) => t.offset + t.byteSize));
    for (let cut = 0; cut < bytes.byteLength; cut++) {
      const prefix = bytes.subarray(0, cut);
      if (cut >= lastEnd) {
        await parse(prefix); // only trailing padding is missing: every tensor is still whole
        continue;
      }
      const error = await failure(prefix);
      const expected = cut < headerEnd ? ['TRUNCATED', 'BAD_LENGTH', 'BAD_COUNT'] : ['TENSOR_OUT_OF_BOUNDS'];
      expect(expected, `cut at ${cut}: ${error.message}`).toContain(error.code);
      expect(error.message).toMatch(/re-download/);
    }
  });

  it('lying string lengths', async () => {
    const huge = new Raw().preamble(0, 1).str('general.name', 2n ** 62n).bytes();
    await expectCode(huge, 'BAD_LENGTH', /offset 24 .*re-download/);
    const off = new Raw().preamble(0, 1).str('k').u32(T.STRING).str('abc', 4).bytes();
    await expectCode(off, 'BAD_LENGTH', /key "k"/);
    const max = new Raw().preamble(0, 1).str('k').u32(T.STRING).str('abcdef').bytes();
    await expectCode(max, 'BAD_LENGTH', /maxStringLength/, { maxStringLength: 5 });
  });

  it('lying array counts', async () => {
    const bytes = new Raw().preamble(0, 1).str('k').u32(T.ARRAY).u32(T.UINT8).u64(2n ** 60n).bytes();
    await expectCode(bytes, 'BAD_COUNT', /key "k".*1152921504606846976 elements/);
    const strings = new Raw().preamble(0, 1).str('k').u32(T.ARRAY).u32(T.STRING).u64(4).u64(0).u64(0).u64(0).bytes();
    await expectCode(strings, 'BAD_COUNT');
    const nested = new Raw().preamble(0, 1).str('k').u32(T.ARRAY).u32(T.ARRAY).u64(2n ** 63n).bytes();
    await expectCode(nested, 'BAD_COUNT');
    const max = new Raw().preamble(0, 1).str('k').u32(T.ARRAY).u32(T.UINT8).u64(10).u8(...new Array(10).fill(0)).bytes();
    await expectCode(max, 'BAD_COUNT', /maxArrayLength/, { maxArrayLength: 9 });
    expect((await parse(max)).metadata.get('k')?.value).toMatchObject({ values: new Array(10).fill(0) });
  });

  it('lying tensor and metadata counts', async () => {
    await expectCode(new Raw().preamble(2n ** 60n, 0).data(64).bytes(), 'BAD_COUNT', /tensor count/);
    await expectCode(new Raw().preamble(0, 2n ** 64n - 1n).data(64).bytes(), 'BAD_COUNT', /metadata count/);
    await expectCode(new Raw().preamble(1000, 0).data(64).bytes(), 'BAD_COUNT');
  });

  it('lying counts in a (virtual) 5 GB file are refused without big reads', async () => {
    const fileOf = (count: bigint): ByteSource => {
      const bytes = new Raw().preamble(0, 1).str('k').u32(T.ARRAY).u32(T.UINT8).u64(count).bytes();
      return { size: 5e9, read: async (offset, length) => {
        const out = new Uint8Array(length);
        if (offset < bytes.byteLength) out.set(bytes.subarray(offset, offset + length));
        return out;
      } };
    };
    for (const [count, code, options] of [
      [2n ** 40n, 'BAD_COUNT', {}],
      [4_000_000_000n, 'BAD_COUNT', {}],
      [4_000_000_000n, 'HEADER_TOO_LARGE', { maxArrayLength: 2 ** 33 }],
    ] as const) {
      const { source, stats } = countingSource(fileOf(count));
      const error = await failure(readGgufHeader(source, options));
      expect(error.code, error.message).toBe(code);
      expect(stats.bytes).toBeLessThanOrEqual(1024 * 1024);
    }
  });

  it('a header larger than maxHeaderBytes', async () => {
    const bytes = new Raw().preamble(0, 1).str('k').u32(T.STRING).str('y'.repeat(5000)).bytes();
    await expectCode(bytes, 'HEADER_TOO_LARGE', /maxHeaderBytes/, { maxHeaderBytes: 4096 });
    const array = new Raw().preamble(0, 1).str('k').u32(T.ARRAY).u32(T.UINT32).u64(2000).u8(...new Array(8000).fill(1)).bytes();
    await expectCode(array, 'HEADER_TOO_LARGE', undefined, { maxHeaderBytes: 4096 });
  });

  it('bad tensor shapes: n_dims 9, zero dim, product overflow, row not a whole block', async () => {
    const file = (dims: Array<number | bigint>, type = GgmlType.F32) =>
      new Raw().preamble(1, 0).tensor('blk.0.attn_q.weight', dims, type, 0).data(64).bytes();
    await expectCode(file([1, 1, 1, 1, 1, 1, 1, 1, 1]), 'BAD_TENSOR_SHAPE', /blk\.0\.attn_q\.weight.*9 dimensions/);
    await expectCode(file([4, 0]), 'BAD_TENSOR_SHAPE', /zero dimension/);
    await expectCode(file([2n ** 32n, 2n ** 32n]), 'BAD_TENSOR_SHAPE', /overflows/);
    await expectCode(file([2n ** 60n]), 'BAD_TENSOR_SHAPE', /overflows/);
    await expectCode(file([48, 2], GgmlType.Q4_0), 'BAD_TENSOR_SHAPE', /block size 32 \(info at offset 24\)/);
  });

  it('unknown tensor type 200 names the tensor', async () => {
    const bytes = new Raw().preamble(1, 0).tensor('token_embd.weight', [4], 200, 0).data(64).bytes();
    await expectCode(bytes, 'UNSUPPORTED_TENSOR_TYPE', /token_embd\.weight.*200/);
  });

  it('tensor out of bounds, also with an absurd offset', async () => {
    const bytes = new Raw().preamble(1, 0).tensor('w', [16], GgmlType.F32, 0).data(60).bytes();
    await expectCode(bytes, 'TENSOR_OUT_OF_BOUNDS', /"w".*re-download/);
    const far = new Raw().preamble(1, 0).tensor('w', [16], GgmlType.F32, 2n ** 62n).data(64).bytes();
    await expectCode(far, 'TENSOR_OUT_OF_BOUNDS', /"w"/);
  });

  it('overlapping tensors', async () => {
    const bytes = new Raw().preamble(2, 0).tensor('a', [16], GgmlType.F32, 32).tensor('b', [16], GgmlType.F32, 0)
      .data(128).bytes();
    await expectCode(bytes, 'TENSOR_OVERLAP', /"a".*"b"/);
  });

  it('misaligned tensor offset', async () => {
    const bytes = new Raw().preamble(1, 0).tensor('w', [4], GgmlType.F32, 16).data(64).bytes();
    await expectCode(bytes, 'TENSOR_MISALIGNED', /"w".*16.*32/);
    const custom = new Raw().preamble(1, 1).kvU32('general.alignment', 8).tensor('w', [4], GgmlType.F32, 16).data(64, 8)
      .bytes();
    expect((await parse(custom)).alignment).toBe(8);
  });

  it('bad alignment values: 0, 3, and a non-UINT32 type', async () => {
    for (const v of [0, 3, 48]) {
      await expectCode(new Raw().preamble(0, 1).kvU32('general.alignment', v).bytes(), 'BAD_ALIGNMENT', /general\.alignment/);
    }
    const wrongType = new Raw().preamble(0, 1).str('general.alignment').u32(T.INT32).u32(32).bytes();
    await expectCode(wrongType, 'BAD_ALIGNMENT', /INT32/);
  });

  it('duplicate keys and tensor names', async () => {
    await expectCode(new Raw().preamble(0, 2).kvU32('a.b', 1).kvU32('a.b', 2).bytes(), 'DUPLICATE_KEY', /"a\.b"/);
    const tensors = new Raw().preamble(2, 0).tensor('w', [8], GgmlType.F32, 0).tensor('w', [8], GgmlType.F32, 32)
      .data(64).bytes();
    await expectCode(tensors, 'DUPLICATE_TENSOR', /"w"/);
  });

  it('invalid UTF-8 in keys, values and tensor names', async () => {
    const cases: number[][] = [[0xff], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80],
      [0x61, 0xe2, 0x82], [0x80]];
    for (const bad of cases) {
      await expectCode(new Raw().preamble(0, 1).str(bad).u32(T.UINT32).u32(1).bytes(), 'BAD_STRING', /UTF-8/);
      await expectCode(new Raw().preamble(0, 1).str('k').u32(T.STRING).str(bad).bytes(), 'BAD_STRING', /key "k"/);
      const long = [...new Array(100).fill(0x61), ...bad]; // takes the TextDecoder path
      await expectCode(new Raw().preamble(0, 1).str('k').u32(T.STRING).str(long).bytes(), 'BAD_STRING');
      await expectCode(new Raw().preamble(1, 0).str(bad).u32(1).u64(4).u32(0).u64(0).data(16).bytes(), 'BAD_STRING');
    }
  });

  it('unknown value types and absurd nesting', async () => {
    await expectCode(new Raw().preamble(0, 1).str('k').u32(13).u32(0).bytes(), 'BAD_VALUE_TYPE', /"k".*13/);
    await expectCode(new Raw().preamble(0, 1).str('k').u32(T.ARRAY).u32(99).u64(0).bytes(), 'BAD_VALUE_TYPE', /99/);
    const deep = new Raw().preamble(0, 1).str('k').u32(T.ARRAY);
    for (let i = 0; i < 20; i++) deep.u32(T.ARRAY).u64(1);
    await expectCode(deep.u32(T.UINT8).u64(0).bytes(), 'BAD_VALUE_TYPE', /nested/);
  });

  it('rejects nonsense options', async () => {
    await expect(parse(smallFile(), { maxHeaderBytes: 0 })).rejects.toThrow(RangeError);
  });
});

describe('decodeUtf8', () => {
  it('agrees with a fatal TextDecoder on random bytes and strings', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    const pool = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x90];
    for (let n = 0; n < 5000; n++) {
      const len = Math.floor(rand() * 12);
      const bytes = Uint8Array.from({ length: len }, () => (rand() < 0.5 ? pool[Math.floor(rand() * pool.length)] : Math.floor(rand() * 256)));
      let expected: string | undefined;
      try {
        expected = decoder.decode(bytes);
      } catch {
        expected = undefined;
      }
      expect(decodeUtf8(bytes, 0, len), `bytes ${[...bytes]}`).toBe(expected);
    }
    for (const s of ['', '\uFEFFbom', '▁hello', '日本語', '🙂👍🏽', '\u0000nul', 'a'.repeat(200) + 'é']) {
      const bytes = new TextEncoder().encode(s);
      expect(decodeUtf8(bytes, 0, bytes.length)).toBe(s);
    }
  });
});
