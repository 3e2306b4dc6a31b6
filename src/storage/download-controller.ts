// Pause, resume and cancel around ensureModel, for a download button: pause keeps every stored chunk, resume
// continues from them, cancel stops and deletes what was stored.
import { deleteModel } from './cache.js';
import { ensureModel, modelIdOf, type EnsureModelOptions, type EnsuredModel, type ModelSpec } from './ensure-model.js';
import { StorageError } from './errors.js';

export type DownloadState = 'running' | 'paused' | 'cancelled' | 'done' | 'failed';

export interface ModelDownload {
  readonly modelId: string;
  readonly state: DownloadState;
  /** Settles when the model is ready (resolves) or the download is cancelled or fails (rejects). */
  readonly result: Promise<EnsuredModel>;
  /** Stops the transfer; stored chunks are kept. */
  pause(): Promise<void>;
  /** Continues a paused download from the stored chunks. */
  resume(): void;
  /** Stops and deletes what was stored; `result` rejects with ABORTED. */
  cancel(): Promise<void>;
}

export function createModelDownload(spec: ModelSpec, options: Omit<EnsureModelOptions, 'signal'> = {}): ModelDownload {
  const modelId = modelIdOf(spec);
  let state: DownloadState = 'running';
  let controller = new AbortController();
  let run: Promise<EnsuredModel | undefined> = Promise.resolve(undefined);
  let resolveResult!: (m: EnsuredModel) => void;
  let rejectResult!: (e: unknown) => void;
  const result = new Promise<EnsuredModel>((res, rej) => {
    resolveResult = res;
    rejectResult = rej;
  });
  result.catch(() => undefined); // the caller may never look at it

  const start = () => {
    controller = new AbortController();
    const c = controller;
    run = ensureModel(spec, { ...options, signal: c.signal }).then(
      (m) => {
        if (state === 'cancelled') return undefined; // finished just as cancel() ran: cancel deletes it and rejects
        state = 'done';
        resolveResult(m);
        return m;
      },
      (e) => {
        if (c.signal.aborted && state === 'paused') return undefined; // wait for resume()
        if (c.signal.aborted && state === 'cancelled') return undefined;
        state = 'failed';
        rejectResult(e);
        return undefined;
      },
    );
  };
  start();

  return {
    modelId,
    get state() {
      return state;
    },
    result,
    async pause() {
      if (state !== 'running') return;
      state = 'paused';
      controller.abort(new Error('paused'));
      await run;
    },
    resume() {
      if (state !== 'paused') return;
      state = 'running';
      start();
    },
    async cancel() {
      if (state === 'done' || state === 'cancelled' || state === 'failed') return;
      state = 'cancelled';
      controller.abort(new Error('cancelled'));
      await run;
      await deleteModel(modelId, { store: options.store }).catch(() => undefined);
      rejectResult(new StorageError('ABORTED', 'The download was cancelled and what was stored was deleted.', { id: modelId, cancelled: true }));
    },
  };
}
