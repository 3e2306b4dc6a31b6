// Test helper: the fake-server download setup the Node storage tests share — a seeded GGUF-looking file, its
// SHA-256, and ensureModel options over the in-memory Range server (fake-range-fetch.ts), an in-memory store and a
// storage manager with room to spare. Each test file adds its own concurrency, timings and hooks.
import { createHash } from 'node:crypto';
import type { EnsureModelOptions } from './ensure-model.js';
import { createFakeRangeServer } from './fake-range-fetch.js';
import { MemoryModelStore } from './model-store.js';

/** `size` pseudo-random bytes from `seed` (an LCG), starting with the GGUF magic and version 3. */
export function makeTestFile(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  b.set([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0]);
  return b;
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A fake server holding `file`, an empty store, and ensureModel options over both (`overrides` win). */
export function fakeDownloadSetup(
  file: Uint8Array,
  chunkBytes: number,
  server: { etag?: string; lastModified?: string },
  overrides: EnsureModelOptions,
) {
  const fake = createFakeRangeServer(file, server);
  const store = new MemoryModelStore();
  const options: EnsureModelOptions = {
    store,
    fetch: fake.fetch,
    chunkBytes,
    progressIntervalMs: 0,
    storage: { estimate: async () => ({ quota: 1e12, usage: 0 }), persist: async () => true },
    ...overrides,
  };
  return { server: fake, store, options };
}
