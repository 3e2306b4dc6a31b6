// The contract between the page and the engine worker (comlink): what a page may ask, and what it gets back. Every
// chat request carries an id: it queues first come first served, and cancel(id) ends it (queued or running) with
// finish_reason "abort". Streamed chunks are pushed through a comlink-proxied callback.
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from './openai.js';

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
  /**
   * Compute backend (default 'auto': WebGPU when it has a real adapter; the CPU WebAssembly path when WebGPU is
   * missing, returns no adapter, or offers only a software fallback adapter such as SwiftShader).
   */
  readonly backend?: 'auto' | 'webgpu' | 'cpu';
  /** CPU path: threads (default navigator.hardwareConcurrency; 1 when the page is not cross-origin isolated). */
  readonly cpuThreads?: number;
}

/** A model in the IndexedDB cache (see src/storage). */
export interface CachedModel {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly storedBytes: number;
  /** Bytes of the CPU path's cache of the model's repacked weights (counted in the origin's storage use). */
  readonly packedBytes?: number;
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
  /** Which compute path runs, and why it was chosen. */
  readonly backend: 'webgpu' | 'cpu';
  readonly backendReason: string;
  /** CPU path only: threads and why that many, relaxed or plain SIMD, wasm memory in bytes. */
  readonly cpu?: {
    readonly threads: number;
    readonly threadsReason: string;
    readonly simd: 'relaxed' | 'plain';
    readonly wasmBytes: number;
    /**
     * The cache of repacked weights next to the stored model: 'hit' (copied, no repack), 'miss' (repacked; the
     * cache is written after the load), 'fallback' (the cache was damaged: repacked, rewritten), 'off' (not stored).
     */
    readonly packedCache: 'hit' | 'miss' | 'fallback' | 'off';
  };
}

/** Counters since the last resetChat (runtimeStatsText). */
export interface RuntimeStats {
  readonly prefillTokens: number;
  readonly prefillSeconds: number;
  readonly decodeTokens: number;
  readonly decodeSeconds: number;
}

export interface StreamEnd {
  readonly streamedChunks: number;
}

/** What the worker exposes over comlink. Callbacks are comlink proxies. */
export interface EngineApi {
  /** A GGUF URL, a registry id (ours or web-llm's Gemma 4 ids), or a local File (imported into the cache). */
  load(model: string | File, options: LoadOptions | undefined, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  /**
   * Runs one chat completion. Non-streaming: resolves with the ChatCompletion. Streaming (`stream: true`): every
   * chunk goes to onChunk in order and the promise resolves with how many were sent (the callback travels on its
   * own MessagePort, so the page waits for that many before it ends the stream).
   */
  chatCompletion(requestId: string, request: ChatCompletionRequest, onChunk?: (c: ChatCompletionChunk) => void): Promise<ChatCompletion | StreamEnd>;
  /** Ends one request: a queued one never starts, a running one stops within one decode step (finish "abort"). */
  cancel(requestId: string): void;
  /** web-llm's interruptGenerate: ends the running request normally with "abort"; also stops a download. */
  interruptGenerate(): void;
  /** Forgets the conversation and its KV cache; keepStats keeps runtimeStatsText's counters. No-op with no model. */
  resetChat(keepStats?: boolean): Promise<void>;
  /** The text of the last answer (the last choice). */
  getMessage(): Promise<string>;
  runtimeStats(): Promise<RuntimeStats>;
  unload(): Promise<void>;
  /** The id of the loaded model ('' when none). */
  loadedModelId(): Promise<string>;
  getMaxStorageBufferBindingSize(): Promise<number>;
  getGPUVendor(): Promise<string>;
  listModels(): Promise<CachedModel[]>;
  deleteModel(id: string): Promise<boolean>;
  deleteAllModels(): Promise<{ deleted: string[]; busy: string[] }>;
  /** Test hooks, used by the e2e tests only. */
  readonly test: EngineTestHooks;
}

export interface EngineTestHooks {
  /**
   * The next generated tokens of the next chat request are these ids instead of the sampled ones (fed back as if
   * sampled). Random-weight fixtures never call tools; this drives the tool-call parser and stream through the worker.
   */
  forceTokens(ids: readonly number[]): void;
  /** Destroys the GPU device as a driver reset would (device-loss recovery tests). */
  loseDevice(): Promise<void>;
  /** Ids the KV cache holds now (prefix-reuse tests). */
  cachedTokenCount(): number;
  /** The prompt ids of the last chat request (untrusted text staying text). */
  lastPrompt(): number[];
  /** Token ids of a text, special tokens parsed (to script forced outputs). */
  tokenize(text: string): number[];
}
