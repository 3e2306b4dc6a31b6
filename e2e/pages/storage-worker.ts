// Dedicated worker for the storage e2e tests: the same storage API as the page, run off the main thread, with
// progress sent back across the boundary by comlink (as the engine worker will do).
import * as Comlink from 'comlink';
import { readGgufHeader } from '../../src/gguf/reader.js';
import { ensureModel, openCachedModel, type EnsureModelOptions, type ModelSpec, type StorageProgress } from '../../src/storage/index.js';
import { digestSource, describeError } from './storage-shared.js';

const api = {
  async ensure(spec: ModelSpec, opts: Omit<EnsureModelOptions, 'onProgress'>, onProgress: (p: StorageProgress) => void) {
    try {
      const m = await ensureModel(spec, { ...opts, onProgress: (p) => void onProgress(p) });
      const header = await readGgufHeader(m.source);
      return { ok: true as const, modelId: m.modelId, fromCache: m.fromCache, verified: m.verified, persisted: m.persisted, tensors: header.tensors.length };
    } catch (e) {
      return { ok: false as const, error: describeError(e) };
    }
  },
  async digest(id: string) {
    const t0 = performance.now();
    const source = await openCachedModel(id);
    const sha256 = await digestSource(source);
    return { sha256, ms: performance.now() - t0, inWorker: typeof document === 'undefined' };
  },
};
export type StorageWorkerApi = typeof api;
Comlink.expose(api);
