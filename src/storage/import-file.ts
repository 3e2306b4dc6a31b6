// importLocalFile: copies a .gguf File (picker or drag and drop) into the same cache as downloads, hashing it on
// the way, so it loads like any cached model afterwards (and survives a reload: resumes where it stopped).
import { chunkCount, chunkRange, normalizeChunkBytes, storedBytes } from './chunk-plan.js';
import { createCachedSource, type CachedModelSource } from './cached-source.js';
import { checkGgufMagic, asStorageError } from './ensure-model.js';
import { StorageError, formatBytes, isQuotaError } from './errors.js';
import { idbModelStore } from './idb-store.js';
import { withModelLock } from './locks.js';
import { SCHEMA_VERSION, type ModelRecord, type ModelStore } from './model-store.js';
import { createProgressReporter, type StorageProgress } from './progress.js';
import { checkSpace, persistenceState, requestPersistence, type StorageManagerLike } from './quota.js';
import { IncrementalSha256 } from './sha256-state.js';

export interface ImportFileOptions {
  /** Reported as phase 'downloading' (bytes copied into the cache), then 'verifying' and 'ready'. */
  readonly onProgress?: (p: StorageProgress) => void;
  readonly signal?: AbortSignal;
  readonly chunkBytes?: number;
  /** Expected SHA-256; when given, a mismatch discards the copy (INTEGRITY). */
  readonly sha256?: string;
  /** Cache id; default `file:{name}:{size}:{lastModified}`. */
  readonly id?: string;
  readonly persist?: boolean;
  readonly progressIntervalMs?: number;
  readonly store?: ModelStore;
  readonly storage?: StorageManagerLike;
}

export interface ImportedModel {
  readonly source: CachedModelSource;
  readonly modelId: string;
  readonly sha256: string;
  readonly verified: boolean;
  readonly fromCache: boolean;
  readonly persisted: boolean | undefined;
}

/** The cache id a File is imported under. */
export function fileModelId(file: File): string {
  return `file:${file.name}:${file.size}:${file.lastModified}`;
}

export async function importLocalFile(file: File, options: ImportFileOptions = {}): Promise<ImportedModel> {
  const id = options.id ?? fileModelId(file);
  const store = options.store ?? idbModelStore();
  if (file.size === 0) throw new StorageError('BAD_INPUT', `"${file.name}" is empty.`);
  const expected = options.sha256?.toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) throw new StorageError('BAD_INPUT', `sha256 must be 64 hex digits.`);
  const progress = createProgressReporter(options.onProgress, { intervalMs: options.progressIntervalMs });
  progress.phase('checking', 0, file.size);
  try {
    return await withModelLock(id, { signal: options.signal }, async () => {
      let record = await store.getRecord(id);
      if (record && (record.size !== file.size || (expected && record.sha256 && record.sha256 !== expected))) {
        await store.deleteChunks(id);
        await store.deleteRecord(id);
        record = undefined;
      }
      if (record?.status === 'complete') {
        if ((await store.chunkIndices(id)).length === chunkCount(record.size, record.chunkBytes)) {
          const now = Date.now();
          record = { ...record, lastUsed: now, updatedAt: now };
          await store.putRecord(record).catch(() => undefined); // best effort
          progress.phase('ready', record.size, record.size);
          return {
            source: createCachedSource({ ...record }, store),
            modelId: id,
            sha256: record.sha256!,
            verified: record.verified,
            fromCache: true,
            persisted: await persistenceState(options.storage),
          };
        }
      }
      const chunkBytes = record?.chunkBytes ?? normalizeChunkBytes(options.chunkBytes);
      const count = chunkCount(file.size, chunkBytes);
      const stored = new Set(record ? await store.chunkIndices(id) : []);
      await checkSpace(file.size - storedBytes(file.size, chunkBytes, stored), `${file.name} (${formatBytes(file.size)})`, options.storage);
      const persisted = options.persist === false ? await persistenceState(options.storage) : await requestPersistence(options.storage);
      const now = Date.now();
      record = {
        schema: SCHEMA_VERSION,
        id,
        name: file.name.replace(/\.gguf$/i, ''),
        origin: 'file',
        fileName: file.name,
        size: file.size,
        chunkBytes,
        expectedSha256: expected,
        status: 'partial',
        verified: false,
        createdAt: record?.createdAt ?? now,
        updatedAt: now,
        lastUsed: now,
      };
      await store.putRecord(record);
      progress.phase('downloading', storedBytes(file.size, chunkBytes, stored), file.size);

      // The source file is local, so the hash is simply recomputed from it (no checkpoint needed).
      const hasher = IncrementalSha256.create();
      let done = storedBytes(file.size, chunkBytes, stored);
      const read = (i: number) => {
        const r = chunkRange(file.size, chunkBytes, i);
        return file
          .slice(r.start, r.end)
          .arrayBuffer()
          .then((b) => new Uint8Array(b))
          .catch((e: Error) => {
            throw new StorageError('BAD_INPUT', `Reading "${file.name}" failed (${e.name}); the file may have been moved or changed. Pick it again.`);
          });
      };
      let next = count > 0 ? read(0) : undefined;
      for (let i = 0; i < count; i++) {
        if (options.signal?.aborted) {
          throw new StorageError('ABORTED', `Import of "${file.name}" stopped; ${formatBytes(done)} are stored and kept. Import the same file again to resume.`);
        }
        const bytes = await next!;
        next = i + 1 < count ? read(i + 1) : undefined; // read ahead while this chunk is written
        if (bytes.byteLength !== chunkRange(file.size, chunkBytes, i).length) {
          throw new StorageError('BAD_INPUT', `"${file.name}" changed while it was being imported. Pick it again.`);
        }
        if (i === 0) {
          try {
            checkGgufMagic(bytes, `"${file.name}"`);
          } catch (e) {
            await store.deleteChunks(id);
            await store.deleteRecord(id);
            throw e;
          }
        }
        hasher.update(bytes);
        if (!stored.has(i)) {
          try {
            await store.putChunk(id, i, bytes);
          } catch (e) {
            if (isQuotaError(e)) {
              throw new StorageError(
                'QUOTA',
                `The browser refused to store more of "${file.name}" (quota exceeded) after ${formatBytes(done)} of ${formatBytes(file.size)}. ` +
                  `What is stored is kept; free space and import the file again to resume.`,
                { storedBytes: done, size: file.size },
              );
            }
            throw e;
          }
          done += bytes.byteLength;
          progress.bytes(done, file.size, done);
        }
      }
      progress.phase('verifying', file.size, file.size);
      const sha256 = hasher.digestHex();
      if (expected && sha256 !== expected) {
        await store.deleteChunks(id);
        await store.deleteRecord(id);
        throw new StorageError('INTEGRITY', `"${file.name}" has SHA-256 ${sha256}, not the expected ${expected}; the imported copy was discarded.`, {
          expected,
          actual: sha256,
        });
      }
      const complete: ModelRecord = { ...record, status: 'complete', sha256, verified: expected !== undefined, updatedAt: Date.now() };
      await store.putRecord(complete);
      progress.phase('ready', file.size, file.size);
      return { source: createCachedSource({ ...complete }, store), modelId: id, sha256, verified: complete.verified, fromCache: false, persisted };
    });
  } catch (e) {
    throw asStorageError(e);
  }
}
