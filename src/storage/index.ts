// The storage module: model registry, resumable verified downloads into IndexedDB, local file import, and cache
// management. Everything here works in a page and in a dedicated worker. See docs/storage.md.
export { MODEL_REGISTRY, findModelEntry, modelUrl, type ModelEntry } from './registry.js';
export {
  ensureModel,
  modelIdOf,
  type EnsureModelOptions,
  type EnsuredModel,
  type ModelSpec,
  type UrlModelSpec,
} from './ensure-model.js';
export { importLocalFile, fileModelId, type ImportFileOptions, type ImportedModel } from './import-file.js';
export { listModels, openCachedModel, deleteModel, deleteAllModels, type CachedModelInfo, type CacheOptions } from './cache.js';
export { createModelDownload, type ModelDownload, type DownloadState } from './download-controller.js';
export type { CachedModelSource } from './cached-source.js';
export type { StorageProgress, StoragePhase } from './progress.js';
export { StorageError, isStorageError, formatBytes, type StorageErrorCode } from './errors.js';
export { estimateSpace, requestPersistence, persistenceState, type SpaceEstimate, type StorageManagerLike } from './quota.js';
export { parseHubUrl, fetchHubFileInfo, type HubFile, type HubFileInfo } from './hub.js';
export { SCHEMA_VERSION, MemoryModelStore, MemoryPackedStore, type ModelStore, type ModelRecord, type PackedWeightsStore } from './model-store.js';
export { packedCacheFor, type ModelPackedCache, type PackedCacheStoreOptions } from './packed-store.js';
export { DB_NAME, closeDatabase, IdbModelStore, idbModelStore, type IdbModelStoreOptions } from './idb-store.js';
export { DEFAULT_CHUNK_BYTES } from './chunk-plan.js';
export { openHttpSource, HttpSourceError, type HttpSource } from './http-source.js';
