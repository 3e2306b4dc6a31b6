// Test page for the storage module: exposes window.storageHarness to Playwright. Runs the storage code on the
// main thread, and in a dedicated worker for the worker test. Progress is collected so tests can inspect it.
import * as Comlink from 'comlink';
import { readGgufHeader } from '../../src/gguf/reader.js';
import { IdbModelStore } from '../../src/storage/idb-store.js';
import {
  deleteAllModels,
  deleteModel,
  ensureModel,
  importLocalFile,
  listModels,
  openCachedModel,
  type EnsureModelOptions,
  type EnsuredModel,
  type ModelSpec,
  type StorageProgress,
} from '../../src/storage/index.js';
import { describeError, digestSource } from './storage-shared.js';
import type { StorageWorkerApi } from './storage-worker.js';

type Opts = Omit<EnsureModelOptions, 'onProgress' | 'signal' | 'storage' | 'store' | 'fetch'> & {
  /** Pretend the browser reports this much space (to test the check against a real, smaller quota). */
  fakeEstimate?: { quota: number; usage: number };
};

const progress: StorageProgress[] = [];
const running = new Map<string, { promise: Promise<unknown>; abort: AbortController }>();
const store = new IdbModelStore();
let worker: Comlink.Remote<StorageWorkerApi> | undefined;

const summary = (m: EnsuredModel) => ({
  modelId: m.modelId,
  fromCache: m.fromCache,
  verified: m.verified,
  sha256: m.sha256,
  persisted: m.persisted,
  size: m.source.size,
  downloadedBytes: m.downloadedBytes,
});

function options(opts: Opts, signal?: AbortSignal): EnsureModelOptions {
  const { fakeEstimate, ...rest } = opts;
  return {
    ...rest,
    signal,
    onProgress: (p) => progress.push({ ...p, t: performance.now() } as StorageProgress),
    storage: fakeEstimate
      ? { estimate: async () => fakeEstimate, persist: () => navigator.storage.persist(), persisted: () => navigator.storage.persisted() }
      : undefined,
  };
}

async function run<T>(fn: () => Promise<T>) {
  try {
    return { ok: true as const, ...(await fn()) };
  } catch (e) {
    return { ok: false as const, error: describeError(e) };
  }
}

const harness = {
  progress: () => progress.slice(),
  clearProgress: () => void progress.splice(0),
  ensure: (spec: ModelSpec, opts: Opts = {}) =>
    run(async () => {
      const m = await ensureModel(spec, options(opts));
      return { ...summary(m), tensors: (await readGgufHeader(m.source)).tensors.length };
    }),
  /** Starts a download without waiting (for reload and two-tab tests); `key` names it for wait/abort. */
  start(key: string, spec: ModelSpec, opts: Opts = {}) {
    const abort = new AbortController();
    running.set(key, { abort, promise: run(async () => summary(await ensureModel(spec, options(opts, abort.signal)))) });
  },
  wait: (key: string) => running.get(key)!.promise,
  abort: (key: string) => running.get(key)!.abort.abort(new Error('paused by the test')),
  list: () => listModels(),
  remove: (id: string) => run(async () => ({ existed: await deleteModel(id) })),
  removeAll: () => run(async () => await deleteAllModels()),
  chunkIndices: (id: string) => store.chunkIndices(id),
  dropChunks: (id: string, indices: number[]) => store.deleteChunks(id, indices),
  /** Opens a cached model, reads every byte through the ByteSource and hashes it. */
  digest: (id: string) =>
    run(async () => {
      const t0 = performance.now();
      const source = await openCachedModel(id);
      const sha256 = await digestSource(source);
      return { sha256, ms: performance.now() - t0 };
    }),
  importPicked: (sha256?: string) =>
    run(async () => {
      const file = (document.getElementById('file') as HTMLInputElement).files![0];
      const m = await importLocalFile(file, { chunkBytes: 64 * 1024, sha256, onProgress: (p) => progress.push(p) });
      return { modelId: m.modelId, verified: m.verified, sha256: m.sha256, fromCache: m.fromCache, tensors: (await readGgufHeader(m.source)).tensors.length };
    }),
  async workerEnsure(spec: ModelSpec, opts: Opts = {}) {
    worker ??= Comlink.wrap<StorageWorkerApi>(new Worker(new URL('./storage-worker.ts', import.meta.url), { type: 'module' }));
    const { fakeEstimate: _unused, ...rest } = opts;
    const seen: Array<StorageProgress & { t: number }> = [];
    const r = await worker.ensure(spec, rest, Comlink.proxy((p: StorageProgress) => void seen.push({ ...p, t: performance.now() })));
    return { ...r, progress: seen };
  },
  workerDigest: (id: string) => worker!.digest(id),
  usage: () => navigator.storage.estimate(),
};

(window as unknown as { storageHarness: typeof harness }).storageHarness = harness;
document.title = 'ready';
