// The worker-side composition root: storage (a URL) -> GGUF header -> model on the GPU -> tokenizer -> session.
// Implements EngineApi; every failure becomes an EngineError with a code the page can act on.
import { EngineError } from '../api/errors.js';
import type { CachedModel, EngineApi, GenerateDelta, GenerateRequest, GenerateResult, LoadOptions, LoadProgress, ModelInfo } from '../api/types.js';
import { GgufError } from '../gguf/errors.js';
import { readGgufHeader } from '../gguf/reader.js';
import { createGpuContext, type AllocationScope, type GpuContext } from '../gpu/context.js';
import { GpuError } from '../gpu/errors.js';
import { GemmaModel } from '../model/gemma-model.js';
import { renderGemmaChat } from '../runtime/chat-format.js';
import { SamplingParamsError } from '../runtime/sampler.js';
import { Session } from '../runtime/session.js';
import { Tokenizer } from '../runtime/tokenizer.js';
import { TokenizerError } from '../runtime/tokenizer-errors.js';
import type { ByteSource } from '../gguf/types.js';
import { HttpSourceError, openHttpSource } from '../storage/http-source.js';
import { deleteAllModels, deleteModel, ensureModel, findModelEntry, importLocalFile, listModels, StorageError } from '../storage/index.js';

interface Loaded {
  readonly scope: AllocationScope;
  readonly model: GemmaModel;
  readonly tokenizer: Tokenizer;
  readonly session: Session;
  readonly info: ModelInfo;
}

export class Engine implements EngineApi {
  private ctx: GpuContext | undefined;
  private loaded: Loaded | undefined;
  private busy = false;
  private abort = { aborted: false };
  /** Aborts a download in progress (interrupt, unload); the stored chunks stay and the next load resumes. */
  private loadAbort = new AbortController();

  /** `target`: a GGUF URL, a registry id, or a local File (imported into the same cache). */
  async load(target: string | File, options: LoadOptions = {}, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    const url = typeof target === 'string' ? target : target.name;
    return this.exclusive(async () => {
      await this.unloadNow();
      const ctx = await this.context();
      onProgress?.({ phase: 'checking', bytesDone: 0, bytesTotal: 0 });
      // A registry id or a URL; by default the file goes through the IndexedDB cache (resumable, verified, offline).
      let source: ByteSource;
      let release = () => {};
      let fromCache = false;
      let persisted: boolean | undefined;
      const toProgress = (p: LoadProgress) => onProgress?.({ phase: p.phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, rate: p.rate, etaSeconds: p.etaSeconds });
      if (typeof target !== 'string') {
        const imported = await importLocalFile(target, { sha256: options.sha256, onProgress: toProgress });
        source = imported.source;
        release = () => imported.source.release();
        fromCache = imported.fromCache;
        persisted = imported.persisted;
      } else if (options.cache === false) {
        source = await openHttpSource(url);
      } else {
        const entry = findModelEntry(url);
        this.loadAbort = new AbortController();
        const ensured = await ensureModel(entry ?? { url, sha256: options.sha256, size: options.size }, {
          signal: this.loadAbort.signal,
          onProgress: toProgress,
        });
        source = ensured.source;
        release = () => ensured.source.release();
        fromCache = ensured.fromCache;
        persisted = ensured.persisted;
      }
      const header = await readGgufHeader(source);
      const tokenizer = Tokenizer.fromGguf(header);
      const scope = ctx.beginScope();
      let model: GemmaModel;
      let session: Session;
      try {
        model = await GemmaModel.load(ctx, source, header, {
          contextLength: options.contextLength,
          onProgress: (p) => onProgress?.({ phase: 'loading-to-gpu', bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
        });
        session = new Session(ctx, model, tokenizer);
      } catch (e) {
        scope.destroy();
        throw e;
      } finally {
        scope.end();
        release(); // the cached source's read-ahead chunks are no longer needed
      }
      const name = header.metadata.get('general.name')?.value;
      const info: ModelInfo = {
        name: typeof name === 'string' ? name : url.split('/').pop() ?? url,
        architecture: 'gemma4',
        layers: model.config.numLayers,
        hiddenSize: model.config.hiddenSize,
        vocabSize: model.config.vocabSize,
        contextLength: model.contextLength,
        gpuBytes: scope.bytes,
        adapter: [ctx.adapterInfo.vendor, ctx.adapterInfo.architecture].filter(Boolean).join(' ') || 'unknown',
        fromCache,
        persisted,
      };
      this.loaded = { scope, model, tokenizer, session, info };
      onProgress?.({ phase: 'ready', bytesDone: source.size, bytesTotal: source.size });
      return info;
    });
  }

  async generate(request: GenerateRequest, onDelta?: (d: GenerateDelta) => void): Promise<GenerateResult> {
    return this.exclusive(async () => {
      const loaded = this.loaded;
      if (!loaded) throw new EngineError('NOT_LOADED', 'No model is loaded. Call load(url) first.');
      const { tokenizer, session } = loaded;
      let prompt: number[];
      if (request.tokens) prompt = [...request.tokens];
      else if (request.messages?.length) prompt = tokenizer.encode(renderGemmaChat(request.messages), { parseSpecial: true });
      else throw new EngineError('BAD_REQUEST', 'A request needs `messages` or `tokens`.');
      const maxTokens = request.maxTokens ?? 256;
      if (!Number.isInteger(maxTokens) || maxTokens < 1) {
        throw new EngineError('BAD_REQUEST', `maxTokens must be a positive integer, got ${request.maxTokens}.`);
      }
      if (prompt.length >= loaded.model.contextLength) {
        throw new EngineError(
          'CONTEXT_FULL',
          `The prompt has ${prompt.length} tokens but the context holds ${loaded.model.contextLength}. Shorten it or load with a larger contextLength.`,
          { promptTokens: prompt.length, contextLength: loaded.model.contextLength },
        );
      }
      this.abort = { aborted: false };
      const result = await session.generate({
        promptTokens: prompt,
        maxTokens,
        sampling: request.sampling,
        signal: this.abort,
        onToken: (id, text) => onDelta?.({ text, tokens: id >= 0 ? [id] : [] }),
      });
      return {
        text: result.text,
        tokens: result.tokens,
        finishReason: result.finishReason,
        promptTokens: result.promptTokens,
        prefillMs: result.prefillMs,
        decodeMs: result.decodeMs,
        decodeTokensPerSecond: result.tokens.length > 1 ? ((result.tokens.length - 1) * 1000) / result.decodeMs : 0,
      };
    });
  }

  async listModels(): Promise<CachedModel[]> {
    try {
      return (await listModels()).map((m) => ({
        id: m.id,
        name: m.name,
        size: m.size,
        storedBytes: m.storedBytes,
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

  interrupt(): void {
    this.abort.aborted = true;
    this.loadAbort.abort();
  }

  async unload(): Promise<void> {
    await this.exclusive(() => this.unloadNow());
  }

  private async unloadNow(): Promise<void> {
    // The device (and its compiled pipelines) stays; the model's buffers go.
    this.loaded?.session.destroy();
    this.loaded?.scope.destroy();
    this.loaded = undefined;
  }

  private async context(): Promise<GpuContext> {
    if (!this.ctx) {
      this.ctx = await createGpuContext();
      const ctx = this.ctx;
      void ctx.lost.then(() => {
        if (this.ctx === ctx) {
          this.ctx = undefined;
          this.loaded = undefined;
        }
      });
    }
    return this.ctx;
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw new EngineError('BUSY', 'The engine is busy with another request; wait for it or interrupt it.');
    this.busy = true;
    try {
      return await fn();
    } catch (e) {
      throw toEngineError(e);
    } finally {
      this.busy = false;
    }
  }
}

/** Maps errors of every layer to EngineError codes. */
export function toEngineError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  if (e instanceof GgufError) {
    const unsupported = e.code === 'UNSUPPORTED_TENSOR_TYPE' || e.code === 'UNSUPPORTED_ARCHITECTURE';
    return new EngineError(unsupported ? 'UNSUPPORTED_MODEL' : 'BAD_MODEL_FILE', e.message, { ggufCode: e.code, ...e.details });
  }
  if (e instanceof TokenizerError) return new EngineError('BAD_MODEL_FILE', e.message, { tokenizerCode: e.code });
  if (e instanceof HttpSourceError) return new EngineError('NETWORK', e.message, { httpCode: e.code, ...e.details });
  if (e instanceof StorageError) {
    const byStorageCode: Partial<Record<string, EngineError['code']>> = {
      QUOTA: 'QUOTA',
      INTEGRITY: 'INTEGRITY',
      SIZE_MISMATCH: 'INTEGRITY',
      ABORTED: 'ABORTED',
      NETWORK: 'NETWORK',
      HTTP_STATUS: 'NETWORK',
      BAD_RESPONSE: 'NETWORK',
      NOT_GGUF: 'BAD_MODEL_FILE',
      BUSY: 'BUSY',
    };
    const code = byStorageCode[e.code] ?? 'STORAGE';
    return new EngineError(code, e.message, { storageCode: e.code, ...e.details });
  }
  if (e instanceof GpuError) {
    const code = e.code === 'NO_WEBGPU' || e.code === 'NO_ADAPTER' || e.code === 'DEVICE_LOST' || e.code === 'OUT_OF_MEMORY' ? e.code : 'INTERNAL';
    return new EngineError(code, e.message, e.details);
  }
  if (e instanceof SamplingParamsError) return new EngineError('BAD_REQUEST', e.message);
  if (e instanceof RangeError) return new EngineError('BAD_REQUEST', e.message);
  const err = e as Error;
  return new EngineError('INTERNAL', err?.message ?? String(e), { name: err?.name });
}
