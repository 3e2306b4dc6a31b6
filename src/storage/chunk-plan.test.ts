import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CHUNK_BYTES,
  chunkCount,
  chunkRange,
  chunksForRange,
  missingChunks,
  normalizeChunkBytes,
  planChunks,
  storedBytes,
  storedPrefix,
} from './chunk-plan.js';
import { DownloadLedger } from './ledger.js';

describe('chunk planner', () => {
  it('cuts a file into fixed chunks with a short last one', () => {
    const plan = planChunks(10_000, 4096);
    expect(plan.map((c) => [c.start, c.end, c.length])).toEqual([
      [0, 4096, 4096],
      [4096, 8192, 4096],
      [8192, 10_000, 1808],
    ]);
    expect(chunkCount(0, 4096)).toBe(0);
    expect(planChunks(0, 4096)).toEqual([]);
    expect(chunkCount(8192, 4096)).toBe(2);
    expect(chunkRange(8192, 4096, 1)).toEqual({ index: 1, start: 4096, end: 8192, length: 4096 });
    expect(() => chunkRange(8192, 4096, 2)).toThrow(RangeError);
  });

  it('plans a real E2B file in 16 MiB chunks', () => {
    const size = 3_349_516_256;
    const plan = planChunks(size, DEFAULT_CHUNK_BYTES);
    expect(plan.length).toBe(200);
    expect(plan.reduce((s, c) => s + c.length, 0)).toBe(size);
    expect(plan.at(-1)!.end).toBe(size);
  });

  it('normalises chunk sizes to 64-byte multiples and rejects silly ones', () => {
    expect(normalizeChunkBytes(undefined)).toBe(DEFAULT_CHUNK_BYTES);
    expect(normalizeChunkBytes(65_600)).toBe(65_600 - (65_600 % 64));
    expect(normalizeChunkBytes(65_536) % 64).toBe(0);
    expect(() => normalizeChunkBytes(100)).toThrow(/chunkBytes/);
    expect(() => normalizeChunkBytes(1.5e9)).toThrow(/chunkBytes/);
    expect(() => normalizeChunkBytes(Number.NaN)).toThrow(/chunkBytes/);
  });

  it('finds missing chunks, stored bytes and the stored prefix', () => {
    expect(missingChunks(10_000, 4096, [1])).toEqual([0, 2]);
    expect(missingChunks(10_000, 4096, [0, 1, 2, 7])).toEqual([]);
    expect(storedBytes(10_000, 4096, [2, 2, 0, 99])).toBe(4096 + 1808);
    expect(storedPrefix([0, 1, 3])).toBe(2);
    expect(storedPrefix([1])).toBe(0);
  });

  it('maps a byte range onto chunk slices', () => {
    expect(chunksForRange(100, 0, 100)).toEqual([{ index: 0, from: 0, to: 100 }]);
    expect(chunksForRange(100, 95, 110)).toEqual([
      { index: 0, from: 95, to: 100 },
      { index: 1, from: 0, to: 100 },
      { index: 2, from: 0, to: 5 },
    ]);
    expect(chunksForRange(100, 250, 0)).toEqual([]);
  });
});

describe('resume bookkeeping (ledger)', () => {
  it('claims the lowest missing chunk, skipping stored and claimed ones', () => {
    const l = new DownloadLedger(5, [0, 2]);
    expect(l.storedCount).toBe(2);
    expect(l.claimNext()).toBe(1);
    expect(l.claimNext()).toBe(3);
    expect(l.claimNext()).toBe(4);
    expect(l.claimNext()).toBeUndefined();
    l.release(3);
    expect(l.claimNext()).toBe(3);
    l.markStored(1);
    l.markStored(1);
    expect(l.storedCount).toBe(3);
    expect(l.notStored()).toEqual([3, 4]);
  });

  it('lets a whole-body stream pick up unclaimed chunks on its way', () => {
    const l = new DownloadLedger(4, [1]);
    expect(l.claimNext()).toBe(0);
    expect(l.tryClaim(0)).toBe(false);
    expect(l.tryClaim(1)).toBe(false); // stored
    expect(l.anyUnclaimedFrom(1)).toBe(true);
    expect(l.tryClaim(2)).toBe(true);
    expect(l.tryClaim(3)).toBe(true);
    expect(l.anyUnclaimedFrom(0)).toBe(false);
    l.release(2);
    expect(l.anyUnclaimedFrom(3)).toBe(false);
    expect(l.anyUnclaimedFrom(2)).toBe(true);
    for (const i of [0, 2, 3]) l.markStored(i);
    expect(l.allStored).toBe(true);
  });

  it('ignores stored indices outside the file', () => {
    const l = new DownloadLedger(2, [5, -1, 1]);
    expect(l.storedCount).toBe(1);
    expect(l.claimNext()).toBe(0);
  });
});
