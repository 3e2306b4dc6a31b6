import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { downloadChunks } from './downloader.js';
import { createFakeRangeServer } from './fake-range-fetch.js';
import { MemoryModelStore } from './model-store.js';

const CHUNK = 8192;
const file = Uint8Array.from({ length: 20 * CHUNK + 99 }, (_, i) => (i * 13 + (i >> 9)) & 255);
const sha = createHash('sha256').update(file).digest('hex');

describe('chunk downloader hashing', () => {
  for (const hashBufferBytes of [0, CHUNK, 64 * CHUNK]) {
    it(`hashes the whole file correctly with a ${hashBufferBytes}-byte hash buffer`, async () => {
      const server = createFakeRangeServer(file);
      const store = new MemoryModelStore();
      const r = await downloadChunks({
        id: 'm',
        url: 'https://x/m',
        size: file.length,
        chunkBytes: CHUNK,
        store,
        fetchFn: server.fetch,
        stored: [],
        concurrency: 4,
        hashBufferBytes,
        retryDelayMs: 1,
      });
      expect(r.sha256).toBe(sha);
      expect(r.fetchedChunks).toBe(21);
      if (hashBufferBytes === 0) expect(r.rereadBytes).toBe(file.length); // nothing kept: all read back
      if (hashBufferBytes === 64 * CHUNK) expect(r.rereadBytes).toBe(0); // everything hashed from memory
    });
  }
});
