// Tests for the gguf-split writer: shards in llama.cpp's format (names, split keys and their types, metadata only in
// the first shard), read back with our own GGUF reader, re-assemble to the input's tensors byte for byte.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memorySource } from '../src/gguf/byte-source.js';
import { readGgufHeader } from '../src/gguf/reader.js';
import { GgmlType, GgufValueType as T } from '../src/gguf/types.js';
import type { GgufHeader } from '../src/gguf/types.js';
import { planGguf, writeGguf, type GgufWriteSpec } from '../src/gguf/writer.js';
import { GgufSplitError, planShards, splitGgufFile, splitShardPath } from './gguf-split.js';

const dir = await mkdtemp(join(tmpdir(), 'gguf-split-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const spec: GgufWriteSpec = {
  metadata: [
    { key: 'general.architecture', type: T.STRING, value: 'gemma4' },
    { key: 'general.alignment', type: T.UINT32, value: 64 },
    { key: 'gemma4.block_count', type: T.UINT32, value: 3 },
    { key: 'tokenizer.ggml.tokens', type: T.ARRAY, value: { kind: 'array', elementType: T.STRING, values: Array.from({ length: 5000 }, (_, i) => `t${i}`) } },
    { key: 'gemma4.rope.freq_base', type: T.FLOAT32, value: 10000 },
  ],
  tensors: [
    { name: 'token_embd.weight', dims: [64, 40], type: GgmlType.Q8_0 }, // 2720 bytes
    { name: 'blk.0.attn_norm.weight', dims: [67], type: GgmlType.F32 }, // 268: padding after it
    { name: 'blk.0.ffn_up.weight', dims: [32, 50], type: GgmlType.Q4_0 }, // 900
    { name: 'blk.1.ffn_up.weight', dims: [256, 16], type: GgmlType.Q4_K }, // 2304
    { name: 'output_norm.weight', dims: [5], type: GgmlType.F16 },
  ],
};
const plan = planGguf(spec);
const data = plan.tensorSizes.map((n, t) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + t * 7 + 1) & 0xff));
const input = join(dir, 'model.gguf');
await writeFile(input, writeGguf(spec, data));
const original = await readGgufHeader(memorySource(new Uint8Array(await readFile(input))));

async function readShard(path: string): Promise<{ header: GgufHeader; bytes: Uint8Array }> {
  const bytes = new Uint8Array(await readFile(path));
  return { header: await readGgufHeader(memorySource(bytes)), bytes };
}

describe('splitGgufFile', () => {
  it('writes llama.cpp-style shards that re-assemble to the same tensors', async () => {
    // 3000 bytes of tensor data per shard: [embd] [norm, up0] [up1, out_norm]
    const { paths, written } = await splitGgufFile(input, join(dir, 'model'), 3000);
    expect(written).toBe(true);
    expect(paths).toEqual([1, 2, 3].map((i) => join(dir, `model-0000${i}-of-00003.gguf`)));
    const shards = await Promise.all(paths.map(readShard));

    shards.forEach(({ header }, i) => {
      expect(header.metadata.get('split.no')).toEqual({ type: T.UINT16, value: i });
      expect(header.metadata.get('split.count')).toEqual({ type: T.UINT16, value: 3 });
      expect(header.metadata.get('split.tensors.count')).toEqual({ type: T.INT32, value: 5 });
      expect(header.alignment).toBe(64);
      expect(header.dataOffset % 64).toBe(0);
      header.tensors.forEach((t) => expect(t.offset % 64).toBe(0));
    });
    // The first shard carries all of the model's metadata (same types and values), the others only split keys.
    const first = shards[0].header.metadata;
    for (const [key, entry] of original.metadata) {
      const got = first.get(key)!;
      expect(got.type).toBe(entry.type);
      const values = (v: typeof entry.value) => (typeof v === 'object' && v !== null && 'kind' in v ? [...v.values] : v);
      expect(values(got.value)).toEqual(values(entry.value));
    }
    expect(first.size).toBe(original.metadata.size + 3);
    expect([...shards[1].header.metadata.keys()].sort()).toEqual(['general.alignment', 'split.count', 'split.no', 'split.tensors.count']);

    // Concatenated in shard order, the tensors are the input's: names, types, dims, bytes.
    const assembled = shards.flatMap(({ header, bytes }) =>
      header.tensors.map((t) => ({ name: t.name, type: t.type, dims: [...t.dims], bytes: bytes.slice(header.dataOffset + t.offset, header.dataOffset + t.offset + t.byteSize) })),
    );
    expect(shards.map(({ header }) => header.tensors.map((t) => t.name))).toEqual([
      ['token_embd.weight'],
      ['blk.0.attn_norm.weight', 'blk.0.ffn_up.weight'],
      ['blk.1.ffn_up.weight', 'output_norm.weight'],
    ]);
    expect(assembled).toEqual(spec.tensors.map((t, i) => ({ name: t.name, type: t.type, dims: t.dims, bytes: data[i] })));
  });

  it('keeps shards already on disk and rewrites a missing one', async () => {
    const prefix = join(dir, 'again');
    const a = await splitGgufFile(input, prefix, 3000);
    const before = (await stat(a.paths[0])).mtimeMs;
    await rm(a.paths[2]);
    const b = await splitGgufFile(input, prefix, 3000);
    expect(b.written).toBe(true);
    expect((await stat(a.paths[0])).mtimeMs).toBe(before);
    expect(await readFile(a.paths[2])).toEqual(await readFile(join(dir, 'model-00003-of-00003.gguf')));
    expect((await splitGgufFile(input, prefix, 3000)).written).toBe(false);
  });

  it('puts a tensor larger than the limit in a shard of its own, and one shard when everything fits', () => {
    expect(planShards(original, 100)).toEqual([[0], [1], [2], [3], [4]]);
    expect(planShards(original, 1 << 30)).toEqual([[0, 1, 2, 3, 4]]);
  });

  it('refuses a bad limit and an input that is already a shard', async () => {
    expect(() => planShards(original, 0)).toThrow(expect.objectContaining({ code: 'BAD_SPLIT_SIZE' }));
    expect(() => planShards(original, 1.5)).toThrow(GgufSplitError);
    const shard = (await readShard(splitShardPath(join(dir, 'model'), 1, 3))).header;
    expect(() => planShards(shard, 3000)).toThrow(expect.objectContaining({ code: 'ALREADY_SPLIT' }));
  });
});
