// createEngine(): the page side. Starts the engine worker, wraps it with comlink and re-throws typed errors.
import * as Comlink from 'comlink';
import { installErrorTransfer } from './errors.js';
import type { CachedModel, EngineApi, GenerateDelta, GenerateRequest, GenerateResult, LoadOptions, LoadProgress, ModelInfo } from './types.js';

export interface EngineClient {
  load(model: string | File, options?: LoadOptions & { onProgress?: (p: LoadProgress) => void }): Promise<ModelInfo>;
  /** Streams text deltas; the iterator's return value is the final result. */
  generate(request: GenerateRequest): AsyncGenerator<GenerateDelta, GenerateResult>;
  interrupt(): Promise<void>;
  unload(): Promise<void>;
  /** The IndexedDB model cache: list, delete one, delete all. */
  listModels(): Promise<CachedModel[]>;
  deleteModel(id: string): Promise<boolean>;
  deleteAllModels(): Promise<{ deleted: string[]; busy: string[] }>;
  terminate(): void;
}

export interface CreateEngineOptions {
  /** A worker to use instead of the bundled engine worker (tests, custom hosting). */
  readonly worker?: Worker;
}

export function createEngine(options: CreateEngineOptions = {}): EngineClient {
  installErrorTransfer();
  const worker = options.worker ?? new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module' });
  const api = Comlink.wrap<EngineApi>(worker);
  return {
    load: (model, o = {}) => {
      const { onProgress, ...loadOptions } = o;
      return api.load(model, loadOptions, onProgress ? Comlink.proxy(onProgress) : undefined);
    },
    async *generate(request) {
      const queue: GenerateDelta[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      const result = api
        .generate(
          request,
          Comlink.proxy((d: GenerateDelta) => {
            queue.push(d);
            wake?.();
          }),
        )
        .finally(() => {
          done = true;
          wake?.();
        });
      result.catch(() => {}); // surfaced below
      while (true) {
        while (queue.length) yield queue.shift()!;
        if (done) break;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
      return await result;
    },
    interrupt: () => api.interrupt(),
    unload: () => api.unload(),
    listModels: () => api.listModels(),
    deleteModel: (id) => api.deleteModel(id),
    deleteAllModels: () => api.deleteAllModels(),
    terminate: () => worker.terminate(),
  };
}
