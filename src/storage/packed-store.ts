// The CPU path's cache of a stored model's repacked weights, next to the model in the same store: a manifest and
// numbered parts (cpu/packed-image.ts defines them; the engine joins the two). This adapter binds them to one
// model, checks space before a write, turns a full disk into a typed QUOTA error, and refuses to write the
// manifest of a model that was deleted meanwhile. Deleting a model deletes its packed cache (cache.ts).
import { StorageError, formatBytes, isQuotaError } from './errors.js';
import { idbModelStore } from './idb-store.js';
import type { ModelStore } from './model-store.js';
import { checkSpace, type StorageManagerLike } from './quota.js';

/** The part store cpu/packed-image.ts reads and writes (same shape as its PackedImageStore). */
export interface ModelPackedCache {
  readonly modelId: string;
  readManifest(): Promise<unknown>;
  readPart(index: number): Promise<Uint8Array | undefined>;
  begin(totalBytes: number): Promise<void>;
  writePart(index: number, bytes: Uint8Array): Promise<void>;
  writeManifest(manifest: unknown): Promise<void>;
  drop(): Promise<void>;
}

export interface PackedCacheStoreOptions {
  readonly store?: ModelStore;
  readonly storage?: StorageManagerLike;
}

/** The packed cache of stored model `modelId`, or undefined when the store keeps none. */
export function packedCacheFor(modelId: string, options: PackedCacheStoreOptions = {}): ModelPackedCache | undefined {
  const store = options.store ?? idbModelStore();
  const packed = store.packed;
  if (!packed) return undefined;
  const quota = (e: unknown, what: string) =>
    isQuotaError(e)
      ? new StorageError('QUOTA', `The browser refused to store the ${what} (storage full); the model still loads, repacking its weights each time.`, { id: modelId })
      : e;
  return {
    modelId,
    readManifest: () => packed.getManifest(modelId),
    readPart: (index) => packed.getPart(modelId, index),
    async begin(totalBytes) {
      await packed.deleteManifest(modelId);
      await packed.deleteParts(modelId);
      await checkSpace(totalBytes, `the packed CPU weights (${formatBytes(totalBytes)})`, options.storage);
    },
    async writePart(index, bytes) {
      try {
        await packed.putPart(modelId, index, bytes);
      } catch (e) {
        throw quota(e, 'packed CPU weights');
      }
    },
    async writeManifest(manifest) {
      const record = await store.getRecord(modelId);
      if (record?.status !== 'complete') {
        throw new StorageError('NOT_FOUND', `The model "${modelId}" was deleted while its packed weights were being cached; nothing is kept.`, { id: modelId });
      }
      try {
        await packed.putManifest(modelId, manifest);
      } catch (e) {
        throw quota(e, 'packed-weights manifest');
      }
    },
    async drop() {
      await packed.deleteManifest(modelId);
      await packed.deleteParts(modelId);
    },
  };
}
