// The engine surface the chat UI consumes: a small, stable seam so the element does not care whether it talks to
// the OpenAI/web-llm-style API or to the worker client directly (adapters in engine-adapter.ts).

export interface ToolDeclaration {
  readonly name: string;
  readonly description?: string;
  readonly parameters?: Record<string, unknown>;
}

export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** The arguments as JSON text, as the model wrote them. */
  readonly arguments: string;
}

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatTurn {
  readonly role: ChatRole;
  readonly content: string;
  readonly toolCalls?: readonly ToolCall[];
  readonly toolCallId?: string;
}

export interface StreamRequest {
  readonly messages: readonly ChatTurn[];
  readonly tools?: readonly ToolDeclaration[];
  readonly thinking?: boolean;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly maxTokens?: number;
}

export interface StreamUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly timeToFirstTokenS?: number;
  readonly decodeTokensPerS?: number;
}

export type StreamEvent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'reasoning'; readonly text: string }
  | { readonly type: 'tool_calls'; readonly calls: readonly ToolCall[] }
  | { readonly type: 'done'; readonly finishReason: string; readonly usage?: StreamUsage };

export interface LoadProgressView {
  readonly phase: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly rate?: number;
  readonly etaSeconds?: number;
}

export interface LoadedModel {
  readonly name: string;
  readonly contextLength: number;
  readonly fromCache: boolean;
  /** Where the model runs: 'webgpu', or 'cpu' (WebAssembly) when WebGPU is missing or unusable. */
  readonly backend?: string;
  /** Why that backend was picked (shown when the CPU path is used). */
  readonly backendReason?: string;
  /** CPU path only: how many threads run it, and why that many (one when the page is not cross-origin isolated). */
  readonly cpu?: { readonly threads: number; readonly threadsReason: string };
}

export interface KnownModel {
  readonly id: string;
  readonly name: string;
  readonly quant: string;
  /** The GPU memory it needs, roughly (weights, a 4096-token KV cache, activations). */
  readonly gpuMB?: number;
}

export interface CachedModelView {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly storedBytes: number;
  /** Bytes of the CPU path's cached repacked weights next to the file (0 or absent: none). */
  readonly packedBytes?: number;
  readonly status: string;
}

export interface ChatBackend {
  load(model: string | File, options: { contextLength?: number; backend?: 'auto' | 'webgpu' | 'cpu'; onProgress?: (p: LoadProgressView) => void }): Promise<LoadedModel>;
  stream(request: StreamRequest): AsyncIterable<StreamEvent>;
  /** Stops a generation or a download in progress (a stopped download resumes on the next load). */
  interrupt(): Promise<void>;
  knownModels(): readonly KnownModel[];
  listModels(): Promise<CachedModelView[]>;
  deleteModel(id: string): Promise<boolean>;
  deleteAllModels(): Promise<unknown>;
  terminate(): void;
}

/** An error as the UI shows it: the engine's code, its message, its details. */
export interface ErrorView {
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export function toErrorView(e: unknown): ErrorView {
  const err = e as { code?: unknown; message?: unknown; details?: unknown };
  return {
    code: typeof err?.code === 'string' ? err.code : 'INTERNAL',
    message: typeof err?.message === 'string' ? err.message : String(e),
    details: typeof err?.details === 'object' && err.details !== null ? (err.details as Record<string, unknown>) : undefined,
  };
}
