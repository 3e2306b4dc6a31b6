// A ByteSource over a cached model's chunks in IndexedDB: no network. Each read fetches the chunks it touches;
// a few recently used ones stay in memory, and reading in file order prefetches the next chunks, so a loader that
// reads tensors in order reads every chunk once and never waits on IndexedDB between tensors.
import { GgufError } from '../gguf/errors.js';
import type { ByteSource } from '../gguf/types.js';
import { chunkCount, chunkRange, chunksForRange } from './chunk-plan.js';
import { StorageError } from './errors.js';
import type { ModelStore } from './model-store.js';

export interface CachedModelSource extends ByteSource {
  readonly modelId: string;
  readonly chunkBytes: number;
  /** SHA-256 of the stored file. */
  readonly sha256: string | undefined;
  /** The bytes matched a known SHA-256 (registry, Hub or caller). */
  readonly verified: boolean;
  /** Drops the chunks kept in memory. */
  release(): void;
}

export interface CachedSourceOptions {
  /** Chunks kept in memory (least recently used goes first); default 6. */
  readonly cacheChunks?: number;
  /** Chunks fetched ahead when reads move forward through the file; default 2 (0 turns it off). */
  readonly readAhead?: number;
}

/** Parallel chunk reads in a large read: enough to keep IndexedDB busy without piling up memory. */
const READ_PARALLELISM = 4;
/** Below this, a read from a store with sliceable chunks reads just its bytes (e.g. one embedding row). */
const SMALL_READ = 1 << 20;

export function createCachedSource(
  info: { id: string; size: number; chunkBytes: number; sha256?: string; verified: boolean },
  store: ModelStore,
  options: CachedSourceOptions = {},
): CachedModelSource {
  const { id, size, chunkBytes } = info;
  const readAhead = Math.max(0, options.readAhead ?? 2);
  const maxCached = Math.max(1 + readAhead, options.cacheChunks ?? 6);
  let lastRead = -1;
  const cache = new Map<number, Uint8Array>();
  const loading = new Map<number, Promise<Uint8Array>>();
  const count = chunkCount(size, chunkBytes);
  const evicted = (index: number, why: string) =>
    new StorageError(
      'EVICTED',
      `Chunk ${index} of ${count} of cached model "${id}" cannot be read (${why}); the browser may have evicted it. Call ensureModel again: only the missing chunks are downloaded.`,
      { id, chunk: index },
    );

  const load = (index: number): Promise<Uint8Array> => {
    const hit = cache.get(index);
    if (hit) {
      cache.delete(index);
      cache.set(index, hit);
      return Promise.resolve(hit);
    }
    let p = loading.get(index);
    if (!p) {
      p = (async () => {
        let bytes: Uint8Array | undefined;
        try {
          bytes = await store.getChunk(id, index);
        } catch (e) {
          throw evicted(index, (e as Error)?.name ?? 'read error');
        }
        if (!bytes) throw evicted(index, 'missing');
        if (bytes.byteLength !== chunkRange(size, chunkBytes, index).length) throw evicted(index, 'wrong size');
        cache.set(index, bytes);
        while (cache.size > maxCached) cache.delete(cache.keys().next().value!);
        return bytes;
      })().finally(() => loading.delete(index));
      loading.set(index, p);
    }
    return p;
  };

  return {
    modelId: id,
    size,
    chunkBytes,
    sha256: info.sha256,
    verified: info.verified,
    release: () => cache.clear(),
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
        throw new RangeError(`Invalid byte range: offset ${offset}, length ${length}.`);
      }
      if (offset + length > size) {
        throw new GgufError('TRUNCATED', `Read of ${length} bytes at offset ${offset} runs past the end of the ${size}-byte cached model "${id}".`, {
          offset,
          length,
          size,
        });
      }
      // Callers own what they get (they may transfer it), so it is always a fresh copy.
      const out = new Uint8Array(length);
      if (length === 0) return out;
      const parts = chunksForRange(chunkBytes, offset, length);
      // Moving forward through the file: start fetching what comes next while this read is served.
      const first = parts[0].index;
      const last = parts[parts.length - 1].index;
      if (readAhead > 0 && (first === lastRead || first === lastRead + 1)) {
        for (let i = last + 1; i <= last + readAhead && i < count; i++) {
          if (!cache.has(i) && !loading.has(i)) load(i).catch(() => undefined);
        }
      }
      lastRead = last;
      let next = 0;
      const worker = async () => {
        while (next < parts.length) {
          const p = parts[next++];
          const at = p.index * chunkBytes + p.from - offset;
          if (store.sliceableChunks && store.readChunkRange && p.to - p.from < SMALL_READ && !cache.has(p.index)) {
            let bytes: Uint8Array | undefined;
            try {
              bytes = await store.readChunkRange(id, p.index, p.from, p.to);
            } catch (e) {
              throw evicted(p.index, (e as Error)?.name ?? 'read error');
            }
            if (!bytes || bytes.byteLength !== p.to - p.from) throw evicted(p.index, bytes ? 'short read' : 'missing');
            out.set(bytes, at);
            continue;
          }
          const bytes = await load(p.index);
          out.set(bytes.subarray(p.from, p.to), at);
        }
      };
      await Promise.all(Array.from({ length: Math.min(READ_PARALLELISM, parts.length) }, worker));
      return out;
    },
  };
}
