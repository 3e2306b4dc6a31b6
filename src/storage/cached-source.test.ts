import { describe, expect, it } from 'vitest';
import { createCachedSource } from './cached-source.js';
import { MemoryModelStore } from './model-store.js';

const CHUNK = 4096;
const SIZE = 10 * CHUNK + 100;
const file = Uint8Array.from({ length: SIZE }, (_, i) => (i * 7 + (i >> 12)) & 255);

async function setup(options?: { cacheChunks?: number; readAhead?: number }) {
  const store = new MemoryModelStore();
  for (let i = 0; i * CHUNK < SIZE; i++) await store.putChunk('m', i, file.subarray(i * CHUNK, Math.min(SIZE, (i + 1) * CHUNK)));
  const gets: number[] = [];
  const get = store.getChunk.bind(store);
  store.getChunk = (id, i) => (gets.push(i), get(id, i));
  const source = createCachedSource({ id: 'm', size: SIZE, chunkBytes: CHUNK, verified: true }, store, options);
  return { store, source, gets };
}

describe('cached source (IndexedDB chunks as a ByteSource)', () => {
  it('reads any range exactly, across chunk boundaries, as fresh copies', async () => {
    const { source } = await setup();
    for (const [o, l] of [[0, 10], [CHUNK - 5, 10], [0, SIZE], [3 * CHUNK, 2 * CHUNK + 1], [SIZE - 1, 1], [123, 0]]) {
      expect(await source.read(o, l)).toEqual(file.subarray(o, o + l));
    }
    const a = await source.read(0, 4);
    a[0] ^= 1;
    expect((await source.read(0, 4))[0]).toBe(file[0]);
    await expect(source.read(SIZE - 1, 2)).rejects.toMatchObject({ code: 'TRUNCATED' });
    await expect(source.read(-1, 2)).rejects.toThrow(RangeError);
  });

  it('reads each chunk once when reading in file order, prefetching ahead', async () => {
    const { source, gets } = await setup({ readAhead: 2 });
    for (let o = 0; o < SIZE; o += 1000) await source.read(o, Math.min(1000, SIZE - o));
    expect([...gets].sort((x, y) => x - y)).toEqual([...Array(11).keys()]);
  });

  it('reports a missing chunk as EVICTED', async () => {
    const { store, source } = await setup();
    await store.deleteChunks('m', [5]);
    await expect(source.read(5 * CHUNK + 10, 10)).rejects.toMatchObject({ code: 'EVICTED' });
    expect(await source.read(0, 10)).toEqual(file.subarray(0, 10));
  });
});
