// createEngine(): the page side. Starts the engine worker (comlink) and implements the chat subset of web-llm's
// MLCEngineInterface on it (chat.completions.create with streaming, reload with progress, interruptGenerate,
// resetChat, unload, getMessage, runtimeStatsText, ...) plus ours (load a URL / registry id / File, the cache).
import * as Comlink from 'comlink';
import { resolveModelId, prebuiltAppConfig, type AppConfig, type InitProgressCallback, type InitProgressReport } from './app-config.js';
import type { CachedModel, EngineApi, EngineTestHooks, LoadOptions, LoadProgress, ModelInfo } from './engine-api.js';
import { EngineError, installErrorTransfer } from './errors.js';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionRequestBase,
  ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming,
} from './openai.js';
import { checkGenerationConfig, checkRequestFields } from './openai-validation.js';

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/** web-llm's ChatOptions subset we read (context_window_size); the rest is accepted and ignored. */
export interface ChatOptions {
  context_window_size?: number;
  /** Ours, not web-llm's: the compute backend (default 'auto': WebGPU on a real adapter, else the CPU WebAssembly path). */
  backend?: 'auto' | 'webgpu' | 'cpu';
  [key: string]: unknown;
}

export interface MLCEngineConfig {
  appConfig?: AppConfig;
  initProgressCallback?: InitProgressCallback;
  logLevel?: LogLevel;
  [key: string]: unknown;
}

export interface Completions {
  create(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  create(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(request: ChatCompletionRequestBase): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
}

/** The engine a page gets: web-llm's chat subset, plus loading from URL / File and the model cache. */
export interface GemmaEngine {
  readonly chat: { readonly completions: Completions };
  chatCompletion(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  chatCompletion(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
  chatCompletion(request: ChatCompletionRequestBase): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  chatCompletion(request: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  /** web-llm: loads a model by id (appConfig, our registry, web-llm's Gemma 4 ids) or a GGUF URL. */
  reload(modelId: string | string[], chatOpts?: ChatOptions | ChatOptions[]): Promise<void>;
  /** Ours: a GGUF URL, a registry id or a local File, with load options and byte-level progress. */
  load(model: string | File, options?: LoadOptions & { onProgress?: (p: LoadProgress) => void }): Promise<ModelInfo>;
  interruptGenerate(): void;
  unload(): Promise<void>;
  resetChat(keepStats?: boolean, modelId?: string): Promise<void>;
  getMessage(modelId?: string): Promise<string>;
  runtimeStatsText(modelId?: string): Promise<string>;
  setInitProgressCallback(cb: InitProgressCallback): void;
  getInitProgressCallback(): InitProgressCallback | undefined;
  setAppConfig(appConfig: AppConfig): void;
  setLogLevel(logLevel: LogLevel): void;
  getMaxStorageBufferBindingSize(): Promise<number>;
  getGPUVendor(): Promise<string>;
  listModels(): Promise<CachedModel[]>;
  deleteModel(id: string): Promise<boolean>;
  deleteAllModels(): Promise<{ deleted: string[]; busy: string[] }>;
  /** Test hooks (e2e only). */
  readonly testHooks: Comlink.Remote<EngineTestHooks>;
  /** Stops the worker. */
  terminate(): void;
}

export interface CreateEngineOptions extends MLCEngineConfig {
  /** A worker to use instead of the bundled engine worker (tests, custom hosting, web-llm's worker engine). */
  readonly worker?: Worker;
}

const MB = 1024 * 1024;

function progressText(p: LoadProgress): string {
  const pct = p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 0;
  const mb = `${Math.round(p.bytesDone / MB)}MB of ${Math.round(p.bytesTotal / MB)}MB`;
  switch (p.phase) {
    case 'checking':
      return 'Start to fetch params';
    case 'downloading':
      return `Fetching param cache: ${mb} fetched. ${pct}% completed.`;
    case 'verifying':
      return `Verifying the download: ${pct}% completed.`;
    case 'loading-to-gpu':
      return `Loading model from cache to the GPU: ${mb}. ${pct}% completed.`;
    case 'ready':
      return 'Finish loading';
  }
}

let nextRequest = 0;
const newRequestId = () => `${Date.now().toString(36)}-${(nextRequest++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export function createEngine(options: CreateEngineOptions = {}): GemmaEngine {
  installErrorTransfer();
  const worker = options.worker ?? new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module' });
  const api = Comlink.wrap<EngineApi>(worker);
  let appConfig: AppConfig = options.appConfig ?? prebuiltAppConfig;
  let progressCallback = options.initProgressCallback;
  /** The id the app passed to reload(): requests naming it as `model` mean the loaded model. */
  let reloadedAs: string | undefined;

  const stream = (request: ChatCompletionRequest): AsyncIterable<ChatCompletionChunk> => {
    const requestId = newRequestId();
    async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
      checkGenerationConfig(request); // web-llm checks these values at the first next() of a stream
      const queue: ChatCompletionChunk[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      let failure: unknown;
      let received = 0;
      let expected = Infinity;
      const finished = api
        .chatCompletion(
          requestId,
          request,
          Comlink.proxy((c: ChatCompletionChunk) => {
            queue.push(c);
            received++;
            wake?.();
          }),
        )
        .then(
          (end) => {
            expected = 'streamedChunks' in end ? end.streamedChunks : 0;
            done = true;
            wake?.();
          },
          (e: unknown) => {
            failure = e;
            done = true;
            wake?.();
          },
        );
      try {
        for (;;) {
          while (queue.length > 0) yield queue.shift()!;
          if (failure !== undefined) throw failure;
          if (done && received >= expected) return;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
      } finally {
        // The consumer broke off (break / return / throw): stop the worker within one decode step.
        if (!done) {
          void api.cancel(requestId);
          await finished;
        }
      }
    }
    return chunks();
  };

  async function chatCompletion(request: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
  async function chatCompletion(request: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion> {
    checkRequestFields(request);
    if (request.model && request.model === reloadedAs) request = { ...request, model: undefined };
    if (request.stream) return stream(request);
    checkGenerationConfig(request);
    return (await api.chatCompletion(newRequestId(), request)) as ChatCompletion;
  }
  const create = chatCompletion as GemmaEngine['chatCompletion'];

  return {
    chat: { completions: { create } },
    chatCompletion: create,
    async reload(modelId, chatOpts) {
      const ids = Array.isArray(modelId) ? modelId : [modelId];
      const opts = Array.isArray(chatOpts) ? chatOpts : chatOpts ? [chatOpts] : [];
      if (Array.isArray(chatOpts) && chatOpts.length !== ids.length) {
        throw new EngineError('BAD_REQUEST', `Got ${ids.length} model ids but ${chatOpts.length} chatOpts; pass one per model.`, {}, 'ReloadArgumentSizeUnmatchedError');
      }
      if (new Set(ids).size !== ids.length) throw new EngineError('BAD_REQUEST', 'Each model id may appear once in reload().', {}, 'ReloadModelIdNotUniqueError');
      if (ids.length !== 1) throw new EngineError('UNSUPPORTED', 'This engine holds one model at a time: reload() takes one model id.', {}, 'UnsupportedMultipleModelsError');
      const target = resolveModelId(ids[0], appConfig);
      reloadedAs = ids[0];
      const t0 = performance.now();
      const report = (r: Omit<InitProgressReport, 'timeElapsed'>) => progressCallback?.({ ...r, timeElapsed: (performance.now() - t0) / 1000 });
      let info: ModelInfo;
      try {
        info = await api.load(
          target,
          { contextLength: opts[0]?.context_window_size, backend: opts[0]?.backend },
          Comlink.proxy((p: LoadProgress) => {
            if (p.phase === 'ready') return;
            report({ progress: p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0, text: progressText(p) });
          }),
        );
      } catch (e) {
        // web-llm: an unload() during reload() aborts the fetch and reload() resolves.
        if (e instanceof EngineError && e.code === 'ABORTED') return;
        throw e;
      }
      report({ progress: 1, text: info?.backend === 'cpu' ? `Finish loading on the CPU (WebAssembly) - ${info.backendReason}` : `Finish loading on WebGPU - ${await api.getGPUVendor()}` });
    },
    load: (model, o = {}) => {
      const { onProgress, ...loadOptions } = o;
      return api.load(model, loadOptions, onProgress ? Comlink.proxy(onProgress) : undefined);
    },
    interruptGenerate: () => void api.interruptGenerate(),
    unload: () => api.unload(),
    resetChat: (keepStats) => api.resetChat(keepStats),
    getMessage: () => api.getMessage(),
    async runtimeStatsText() {
      const s = await api.runtimeStats();
      const rate = (t: number, sec: number) => (sec > 0 ? t / sec : 0).toFixed(4);
      return `prefill: ${rate(s.prefillTokens, s.prefillSeconds)} tokens/sec, decoding: ${rate(s.decodeTokens, s.decodeSeconds)} tokens/sec`;
    },
    setInitProgressCallback: (cb) => {
      progressCallback = cb;
    },
    getInitProgressCallback: () => progressCallback,
    setAppConfig: (c) => {
      appConfig = c;
    },
    setLogLevel: () => {},
    getMaxStorageBufferBindingSize: () => api.getMaxStorageBufferBindingSize(),
    getGPUVendor: () => api.getGPUVendor(),
    listModels: () => api.listModels(),
    deleteModel: (id) => api.deleteModel(id),
    deleteAllModels: () => api.deleteAllModels(),
    testHooks: api.test as unknown as Comlink.Remote<EngineTestHooks>,
    terminate: () => worker.terminate(),
  };
}
