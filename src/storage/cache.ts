// Cache management: list cached models (size, complete or partial, verified, last used, bytes of the CPU path's
// packed-weight cache), open one with no network, delete one or all (with their packed caches). Deleting takes the model's lock, so it never pulls chunks from under a download.
import { chunkCount, storedBytes } from './chunk-plan.js';
import { createCachedSource, type CachedModelSource } from './cached-source.js';
import { asStorageError, damagedChunks } from './ensure-model.js';
import { StorageError, formatBytes } from './errors.js';
import { idbModelStore } from './idb-store.js';
import { withModelLock } from './locks.js';
import type { ModelOrigin, ModelStore } from './model-store.js';

export interface CachedModelInfo {
  readonly id: string;
  readonly name: string;
  readonly fileName: string;
  readonly origin: ModelOrigin;
  readonly url?: string;
  readonly registryId?: string;
  readonly size: number;
  readonly storedBytes: number;
  /** Bytes of the CPU path's cache of this model's repacked weights (0 when there is none). */
  readonly packedBytes: number;
  readonly chunks: { readonly stored: number; readonly total: number };
  /** complete: ready to load; partial: download or import unfinished; damaged: was complete, chunks are gone (evicted). */
  readonly status: 'complete' | 'partial' | 'damaged';
  readonly verified: boolean;
  readonly sha256?: string;
  readonly expectedSha256?: string;
  readonly createdAt: number;
  readonly lastUsed: number;
}

export interface CacheOptions {
  readonly store?: ModelStore;
}

export async function listModels(options: CacheOptions = {}): Promise<CachedModelInfo[]> {
  const store = options.store ?? idbModelStore();
  try {
    const records = await store.listRecords();
    const out: CachedModelInfo[] = [];
    for (const r of records) {
      const indices = (await store.chunkIndices(r.id)).filter((i) => i < chunkCount(r.size, r.chunkBytes));
      const total = chunkCount(r.size, r.chunkBytes);
      out.push({
        id: r.id,
        name: r.name,
        fileName: r.fileName,
        origin: r.origin,
        url: r.url,
        registryId: r.registryId,
        size: r.size,
        storedBytes: storedBytes(r.size, r.chunkBytes, indices),
        packedBytes: await packedBytesOf(store, r.id),
        chunks: { stored: indices.length, total },
        status: r.status === 'complete' ? (indices.length === total ? 'complete' : 'damaged') : 'partial',
        verified: r.status === 'complete' && r.verified && indices.length === total,
        sha256: r.sha256,
        expectedSha256: r.expectedSha256,
        createdAt: r.createdAt,
        lastUsed: r.lastUsed,
      });
    }
    return out.sort((a, b) => b.lastUsed - a.lastUsed);
  } catch (e) {
    throw asStorageError(e);
  }
}

/** Bytes of a model's packed-weight cache: the manifest's total, or (parts without a manifest) a bound. */
async function packedBytesOf(store: ModelStore, id: string): Promise<number> {
  if (!store.packed) return 0;
  const m = (await store.packed.getManifest(id)) as { totalBytes?: unknown } | undefined;
  if (typeof m?.totalBytes === 'number') return m.totalBytes;
  return (await store.packed.partCount(id)) * PACKED_PART_BOUND;
}

/** The largest part a packed cache writes (cpu/packed-image.ts PACKED_PART_BYTES; storage may not import cpu). */
const PACKED_PART_BOUND = 16 << 20;

/** Opens a complete cached model (no network). NOT_FOUND when absent or unfinished, EVICTED when chunks are gone. */
export async function openCachedModel(id: string, options: CacheOptions = {}): Promise<CachedModelSource> {
  const store = options.store ?? idbModelStore();
  try {
    const record = await store.getRecord(id);
    if (!record) throw new StorageError('NOT_FOUND', `No cached model "${id}". Download it with ensureModel first.`, { id });
    if (record.status !== 'complete') {
      const have = storedBytes(record.size, record.chunkBytes, await store.chunkIndices(id));
      throw new StorageError(
        'NOT_FOUND',
        `The cached model "${id}" is incomplete (${formatBytes(have)} of ${formatBytes(record.size)}). Call ensureModel to finish the download.`,
        { id, status: record.status, storedBytes: have, size: record.size },
      );
    }
    const damaged = damagedChunks(record, await store.chunkIndices(id));
    if (damaged.length > 0) {
      throw new StorageError(
        'EVICTED',
        `${damaged.length} of ${chunkCount(record.size, record.chunkBytes)} chunks of the cached model "${id}" are gone (the browser evicted them or site data was cleared). ` +
          `Call ensureModel again: only the missing chunks are downloaded.`,
        { id, missingChunks: damaged },
      );
    }
    const now = Date.now();
    await store.putRecord({ ...record, lastUsed: now, updatedAt: now }).catch(() => undefined); // best effort
    return createCachedSource({ ...record }, store);
  } catch (e) {
    throw asStorageError(e);
  }
}

/** Deletes a model's chunks and record. false when there was nothing; BUSY while it is being downloaded. */
export async function deleteModel(id: string, options: CacheOptions = {}): Promise<boolean> {
  const store = options.store ?? idbModelStore();
  try {
    return await withModelLock(id, { ifAvailable: true }, async () => {
      const existed = (await store.getRecord(id)) !== undefined || (await store.chunkIndices(id)).length > 0;
      // The packed cache first (manifest before parts: parts alone are never trusted), then chunks: if this is
      // interrupted, the record remains and shows the model as partial, never orphans.
      await store.packed?.deleteManifest(id);
      await store.packed?.deleteParts(id);
      await store.deleteChunks(id);
      await store.deleteRecord(id);
      return existed;
    });
  } catch (e) {
    throw asStorageError(e);
  }
}

/** Deletes every cached model (and stray chunks). Models being downloaded right now are skipped and listed. */
export async function deleteAllModels(options: CacheOptions = {}): Promise<{ deleted: string[]; busy: string[] }> {
  const store = options.store ?? idbModelStore();
  const ids = new Set<string>();
  try {
    for (const r of await store.listRecords()) ids.add(r.id);
    for (const id of await store.chunkOwners()) ids.add(id);
    for (const id of (await store.packed?.owners()) ?? []) ids.add(id);
  } catch (e) {
    throw asStorageError(e);
  }
  const deleted: string[] = [];
  const busy: string[] = [];
  for (const id of ids) {
    try {
      await deleteModel(id, options);
      deleted.push(id);
    } catch (e) {
      if (e instanceof StorageError && e.code === 'BUSY') busy.push(id);
      else throw e;
    }
  }
  return { deleted, busy };
}
