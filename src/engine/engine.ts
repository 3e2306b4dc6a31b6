// The worker-side composition root: model source -> GGUF header -> model on the GPU -> token generator ->
// tokenizer, prompt builder and session. Implements EngineApi: requests queue first come first served, each with an
// id and its own cancel; a lost device fails the request in flight with DEVICE_LOST and the model is rebuilt from
// the IndexedDB cache by itself. Every failure leaves as an EngineError (errors.ts).
import type { CachedModel, EngineApi, EngineTestHooks, LoadOptions, LoadProgress, ModelInfo, RuntimeStats, StreamEnd } from '../api/engine-api.js';
import { EngineError } from '../api/errors.js';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../api/openai.js';
import { readGgufHeader } from '../gguf/reader.js';
import { createGpuContext, type AllocationScope, type GpuContext } from '../gpu/context.js';
import { GemmaModel } from '../model/gemma-model.js';
import { GpuTokenGenerator, type TokenGenerator } from '../model/generator.js';
import { CpuTokenGenerator } from '../model/cpu-generator.js';
import { loadGemmaConfig } from '../model/load-config.js';
import { supportsSimd } from '../cpu/wasm-kernels.js';
import { defaultCpuThreads, spawnWebWorker } from '../cpu/web-spawn.js';
import { chooseBackend } from './backend-choice.js';
import { PromptBuilder } from '../runtime/chat/prompt.js';
import { Session } from '../runtime/session.js';
import { Tokenizer } from '../runtime/tokenizer/tokenizer.js';
import { deleteAllModels, deleteModel, listModels, packedCacheFor } from '../storage/index.js';
import { GrammarEngine } from '../runtime/constraints/grammar-engine.js';
import { buildGrammarVocabulary } from '../runtime/constraints/grammar-vocabulary.js';
import { browserXGrammarLoader } from '../runtime/constraints/xgrammar-loader.js';
import { runChatCompletion, type ChatModel } from './chat-completions.js';
import { toEngineError } from './errors.js';
import { openModelSource, type OpenedModelSource } from './model-source.js';
import type { PackedCacheOptions } from '../cpu/cpu-weights.js';

interface Loaded extends ChatModel {
  /** GPU buffers of the model (WebGPU backend only). */
  readonly scope?: AllocationScope;
  /** Releases the model file (the CPU backend reads it while it runs). */
  readonly release?: () => void;
  readonly info: ModelInfo;
}

interface RequestState {
  aborted: boolean;
}

/** The repacked-weight cache of a model stored in IndexedDB (none for a model read straight over HTTP). */
function packedCacheOf(opened: OpenedModelSource, signal: { readonly aborted: boolean }, whenIdle: () => Promise<void>): PackedCacheOptions | undefined {
  const stored = opened.stored;
  const store = stored && packedCacheFor(stored.id);
  return store && { store, identity: { modelId: stored.id, size: stored.size, sha256: stored.sha256 }, signal, whenIdle };
}

const ZERO_STATS: RuntimeStats = { prefillTokens: 0, prefillSeconds: 0, decodeTokens: 0, decodeSeconds: 0 };

export class Engine implements EngineApi {
  private ctx: GpuContext | undefined;
  private loaded: Loaded | undefined;
  /** The last successful load, to rebuild after a device loss. */
  private lastLoad: { target: string | File; options: LoadOptions } | undefined;
  /** Tail of the FIFO queue: every request and load runs after the ones before it. */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly requests = new Map<string, RequestState>();
  private running: RequestState | undefined;
  /** Aborts a download in progress (interrupt, unload); the stored chunks stay and the next load resumes. */
  private loadAbort = new AbortController();
  private stats: RuntimeStats = ZERO_STATS;
  private lastMessage = '';
  private forced: number[] | undefined;
  /** How XGrammar is loaded (a dynamic import; Node tests pass their own). */
  xgrammarLoader = browserXGrammarLoader;
  private lastPromptIds: number[] = [];
  /** Set while a rebuild after device loss is queued or running. */
  private rebuilding: Promise<unknown> | undefined;
  /** Tasks queued or running (enqueue), and who waits for none. */
  private busy = 0;
  private idleWaiters: Array<() => void> = [];

  /** `target`: a GGUF URL, a registry id, or a local File (imported into the same cache). */
  async load(target: string | File, options: LoadOptions = {}, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    this.loadAbort.abort(); // a newer load replaces a download in progress
    const abort = new AbortController();
    this.loadAbort = abort;
    return this.enqueue(() => this.loadNow(target, options, abort.signal, onProgress));
  }

  private async loadNow(target: string | File, options: LoadOptions, signal: AbortSignal, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    this.unloadNow();
    const choice = await chooseBackend(options.backend ?? 'auto', () => this.context(), supportsSimd());
    onProgress?.({ phase: 'checking', bytesDone: 0, bytesTotal: 0 });
    const opened = await openModelSource(target, options, signal, (p) =>
      onProgress?.({ phase: p.phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, rate: p.rate, etaSeconds: p.etaSeconds }),
    );
    const header = await readGgufHeader(opened.source);
    const tokenizer = Tokenizer.fromGguf(header);
    const template = header.metadata.get('tokenizer.chat_template')?.value;
    const prompts = new PromptBuilder(tokenizer, typeof template === 'string' ? template : undefined);
    const name = header.metadata.get('general.name')?.value;
    const common = {
      name: typeof name === 'string' ? name : opened.fallbackName,
      architecture: 'gemma4' as const,
      fromCache: opened.fromCache,
      persisted: opened.persisted,
      backend: choice.backend,
      backendReason: choice.reason,
    };
    let session: Session;
    let scope: AllocationScope | undefined;
    let info: ModelInfo;
    // Set on unload: a packed-weight cache write still running stops (and drops its partial image).
    const packedWrite = { aborted: false };
    if (choice.backend === 'cpu') {
      // The CPU path reads the file while it runs (per-layer-embedding rows per token): the source stays open.
      const config = await loadGemmaConfig(opened.source, header);
      const { threads, why } = defaultCpuThreads(options.cpuThreads);
      onProgress?.({ phase: 'loading-to-gpu', bytesDone: 0, bytesTotal: opened.source.size });
      let generator: CpuTokenGenerator;
      try {
        generator = await CpuTokenGenerator.load(opened.source, header, config, {
          contextLength: Math.min(options.contextLength ?? 4096, config.contextLength),
          threads,
          spawn: spawnWebWorker,
          packedCache: packedCacheOf(opened, packedWrite, this.whenIdle),
        });
      } catch (e) {
        opened.release();
        throw e;
      }
      session = new Session(generator as TokenGenerator);
      const k = generator.forward.products.kernels;
      info = {
        ...common,
        layers: config.numLayers,
        hiddenSize: config.hiddenSize,
        vocabSize: config.vocabSize,
        contextLength: generator.contextLength,
        gpuBytes: 0,
        adapter: 'cpu (WebAssembly SIMD)',
        cpu: {
          threads: generator.forward.products.threads,
          threadsReason: why,
          simd: k.relaxed ? 'relaxed' : 'plain',
          wasmBytes: k.arena.memory.buffer.byteLength,
          packedCache: generator.forward.weights.packedCache?.state ?? 'off',
        },
      };
    } else {
      const ctx = choice.ctx!;
      scope = ctx.beginScope();
      let model: GemmaModel;
      try {
        model = await GemmaModel.load(ctx, opened.source, header, {
          contextLength: options.contextLength,
          onProgress: (p) => onProgress?.({ phase: 'loading-to-gpu', bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
        });
        session = new Session(new GpuTokenGenerator(ctx, model));
      } catch (e) {
        scope.destroy();
        throw e;
      } finally {
        scope.end();
        opened.release();
      }
      info = {
        ...common,
        layers: model.config.numLayers,
        hiddenSize: model.config.hiddenSize,
        vocabSize: model.config.vocabSize,
        contextLength: model.contextLength,
        gpuBytes: scope.bytes,
        adapter: [ctx.adapterInfo.vendor, ctx.adapterInfo.architecture].filter(Boolean).join(' ') || 'unknown',
      };
    }
    const modelId = typeof target === 'string' ? target : target.name;
    let grammar: GrammarEngine | undefined;
    // Built on the first constrained request only: the vocabulary view and XGrammar's wasm cost nothing before.
    const grammarEngine = () =>
      (grammar ??= new GrammarEngine(
        buildGrammarVocabulary(
          {
            tokens: Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenizer.tokenOf(id)),
            tokenTypes: Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenizer.tokenType(id)),
          },
          tokenizer.stopIds,
        ),
        this.xgrammarLoader,
      ));
    this.loaded = {
      scope,
      info,
      modelId,
      tokenizer,
      prompts,
      session,
      grammar: grammarEngine,
      release:
        choice.backend === 'cpu'
          ? () => {
              packedWrite.aborted = true;
              opened.release();
            }
          : undefined,
    };
    this.lastLoad = { target, options };
    this.stats = ZERO_STATS;
    onProgress?.({ phase: 'ready', bytesDone: opened.source.size, bytesTotal: opened.source.size });
    return info;
  }

  async chatCompletion(requestId: string, request: ChatCompletionRequest, onChunk?: (c: ChatCompletionChunk) => void): Promise<ChatCompletion | StreamEnd> {
    const state: RequestState = { aborted: false };
    if (this.requests.has(requestId)) throw new EngineError('BAD_REQUEST', `Request id ${requestId} is already in use; use a fresh id per request.`);
    this.requests.set(requestId, state);
    try {
      return await this.enqueue(async () => {
        if (this.rebuilding) await this.rebuilding.catch(() => {});
        const loaded = this.loaded;
        if (!loaded) throw new EngineError('NOT_LOADED', 'No model is loaded. Call reload(model) (or load(url)) first.', {}, 'ModelNotLoadedError');
        if (request?.model && request.model !== loaded.modelId && request.model !== loaded.info.name) {
          throw new EngineError('BAD_REQUEST', `Model "${request.model}" is not loaded (the loaded one is "${loaded.modelId}"). Reload it first or omit \`model\`.`, {}, 'SpecifiedModelNotFoundError');
        }
        const forcedTokens = this.forced;
        this.forced = undefined;
        this.running = state;
        try {
          let streamedChunks = 0;
          const count = onChunk && ((c: ChatCompletionChunk) => (streamedChunks++, onChunk(c)));
          const r = await runChatCompletion(loaded, request, { signal: state, onChunk: count, forcedTokens });
          this.lastMessage = r.message;
          this.lastPromptIds = [...r.promptIds];
          this.stats = {
            prefillTokens: this.stats.prefillTokens + r.prefillTokens,
            prefillSeconds: this.stats.prefillSeconds + r.prefillSeconds,
            decodeTokens: this.stats.decodeTokens + r.decodeTokens,
            decodeSeconds: this.stats.decodeSeconds + r.decodeSeconds,
          };
          return r.completion ?? { streamedChunks };
        } catch (e) {
          // A failed step leaves the KV cache in an unknown state: the next request prefills from scratch.
          loaded.session.reset();
          if (await this.deviceWasLost()) {
            throw new EngineError(
              'DEVICE_LOST',
              `The GPU device was lost during this request (${(e as Error)?.message ?? e}); the model is being reloaded from the cache by itself: retry the request.`,
              {},
              'DeviceLostError',
            );
          }
          throw e;
        } finally {
          this.running = undefined;
        }
      });
    } finally {
      this.requests.delete(requestId);
    }
  }

  cancel(requestId: string): void {
    const r = this.requests.get(requestId);
    if (r) r.aborted = true;
  }

  interruptGenerate(): void {
    if (this.running) this.running.aborted = true;
    this.loadAbort.abort();
  }

  async resetChat(keepStats = false): Promise<void> {
    await this.enqueue(async () => {
      this.loaded?.session.reset();
      if (this.loaded) this.loaded.lastAnswer = undefined;
      this.lastMessage = '';
      if (!keepStats) this.stats = ZERO_STATS;
    });
  }

  async getMessage(): Promise<string> {
    return this.lastMessage;
  }

  async runtimeStats(): Promise<RuntimeStats> {
    return this.stats;
  }

  async loadedModelId(): Promise<string> {
    return this.loaded?.modelId ?? '';
  }

  async getMaxStorageBufferBindingSize(): Promise<number> {
    if (this.loaded?.info.backend === 'cpu') return 2 ** 32; // one wasm32 memory
    return (await this.context()).device.limits.maxStorageBufferBindingSize;
  }

  async getGPUVendor(): Promise<string> {
    if (this.loaded?.info.backend === 'cpu') return 'cpu (WebAssembly)'; // no GPU is used (or may exist)
    return (await this.context()).adapterInfo.vendor ?? '';
  }

  async listModels(): Promise<CachedModel[]> {
    try {
      return (await listModels()).map((m) => ({
        id: m.id,
        name: m.name,
        size: m.size,
        storedBytes: m.storedBytes,
        packedBytes: m.packedBytes,
        status: m.status,
        verified: m.verified,
        lastUsed: m.lastUsed,
      }));
    } catch (e) {
      throw toEngineError(e);
    }
  }

  async deleteModel(id: string): Promise<boolean> {
    try {
      return await deleteModel(id);
    } catch (e) {
      throw toEngineError(e);
    }
  }

  async deleteAllModels(): Promise<{ deleted: string[]; busy: string[] }> {
    try {
      return await deleteAllModels();
    } catch (e) {
      throw toEngineError(e);
    }
  }

  async unload(): Promise<void> {
    this.loadAbort.abort();
    if (this.running) this.running.aborted = true;
    this.lastLoad = undefined;
    await this.enqueue(async () => this.unloadNow());
  }

  readonly test: EngineTestHooks = {
    forceTokens: (ids) => {
      this.forced = [...ids];
    },
    loseDevice: async () => {
      this.ctx?.device.destroy();
    },
    cachedTokenCount: () => this.loaded?.session.cachedTokens.length ?? 0,
    lastPrompt: () => this.lastPromptIds,
    tokenize: (text) => this.loaded?.tokenizer.encode(text, { parseSpecial: true }) ?? [],
  };

  private unloadNow(): void {
    // The device (and its compiled pipelines) stays; the model's buffers go.
    this.loaded?.session.destroy();
    this.loaded?.scope?.destroy();
    this.loaded?.release?.();
    this.loaded = undefined;
  }

  private async context(): Promise<GpuContext> {
    if (!this.ctx) {
      const ctx = await createGpuContext();
      this.ctx = ctx;
      void ctx.lost.then(() => this.onDeviceLost(ctx));
    }
    return this.ctx;
  }

  /** The device is gone: drop the model, then rebuild device and model from the cache, queued behind the failing request. */
  private onDeviceLost(ctx: GpuContext): void {
    if (this.ctx !== ctx) return;
    this.ctx = undefined;
    this.loaded = undefined;
    const last = this.lastLoad;
    if (!last) return;
    const abort = new AbortController();
    this.loadAbort = abort;
    const rebuild = this.enqueue(() => this.loadNow(last.target, last.options, abort.signal));
    this.rebuilding = rebuild;
    void rebuild.catch(() => {}).finally(() => {
      if (this.rebuilding === rebuild) this.rebuilding = undefined;
    });
  }

  /** Whether the current device is lost (waits briefly: the lost promise can settle after the failed read). */
  private async deviceWasLost(): Promise<boolean> {
    const ctx = this.ctx;
    if (!ctx) return this.rebuilding !== undefined;
    return Promise.race([ctx.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
  }

  /** Runs `fn` after everything queued before it; errors leave as EngineError. */
  /** Resolves once nothing is queued or running (background work such as the packed-weight write waits here). */
  private readonly whenIdle = (): Promise<void> => (this.busy === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r)));

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    const run = this.tail.then(fn, fn);
    const settle = () => {
      if (--this.busy === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    };
    run.then(settle, settle);
    this.tail = run.catch(() => {});
    return run.catch((e) => {
      throw toEngineError(e);
    });
  }
}

export { toEngineError } from './errors.js';
