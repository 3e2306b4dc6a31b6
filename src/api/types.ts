// The contract between the page and the engine worker: what a page may ask, and what it gets back.

export interface LoadOptions {
  /** KV-cache context length (default 4096, bounded by the model). */
  readonly contextLength?: number;
  /**
   * Download into the IndexedDB cache first (default true): resumable, verified, loads offline next time.
   * false streams the file over HTTP straight to the GPU and stores nothing.
   */
  readonly cache?: boolean;
  /** Expected SHA-256 (hex) and size of a pasted URL, when known. */
  readonly sha256?: string;
  readonly size?: number;
}

/** A model in the IndexedDB cache (see src/storage). */
export interface CachedModel {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly storedBytes: number;
  readonly status: string;
  readonly verified?: boolean;
  readonly lastUsed?: number;
}

export type LoadPhase = 'checking' | 'downloading' | 'verifying' | 'loading-to-gpu' | 'ready';

export interface LoadProgress {
  readonly phase: LoadPhase;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Bytes per second over the last interval (downloads). */
  readonly rate?: number;
  readonly etaSeconds?: number;
}

export interface ModelInfo {
  readonly name: string;
  readonly architecture: 'gemma4';
  readonly layers: number;
  readonly hiddenSize: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly gpuBytes: number;
  readonly adapter: string;
  /** Loaded from the IndexedDB cache with no download. */
  readonly fromCache: boolean;
  /** The answer to navigator.storage.persist() (undefined when not asked or unavailable). */
  readonly persisted: boolean | undefined;
}

export interface SamplingOptions {
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly minP?: number;
  readonly repetitionPenalty?: number;
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  readonly logitBias?: Readonly<Record<number, number>>;
  readonly seed?: number;
}

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface GenerateRequest {
  /** Either chat messages (rendered with the Gemma 4 chat format) or raw token ids. */
  readonly messages?: readonly ChatMessage[];
  readonly tokens?: readonly number[];
  readonly maxTokens?: number;
  readonly sampling?: SamplingOptions;
}

export type FinishReason = 'stop' | 'length' | 'abort' | 'context_full';

export interface GenerateDelta {
  readonly text: string;
  readonly tokens: readonly number[];
}

export interface GenerateResult {
  readonly text: string;
  readonly tokens: readonly number[];
  readonly finishReason: FinishReason;
  readonly promptTokens: number;
  readonly prefillMs: number;
  readonly decodeMs: number;
  readonly decodeTokensPerSecond: number;
}

/** What the worker exposes over comlink. Callbacks are comlink proxies. */
export interface EngineApi {
  /** A GGUF URL, a registry id, or a local File (structured-cloned to the worker, imported into the cache). */
  load(model: string | File, options: LoadOptions | undefined, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  generate(request: GenerateRequest, onDelta?: (d: GenerateDelta) => void): Promise<GenerateResult>;
  interrupt(): void;
  unload(): Promise<void>;
  listModels(): Promise<CachedModel[]>;
  deleteModel(id: string): Promise<boolean>;
  deleteAllModels(): Promise<{ deleted: string[]; busy: string[] }>;
}
