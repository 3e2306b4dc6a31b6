// web-llm's names for this engine, so a web-llm app switches by changing its import line:
//   import * as webllm from "gemma4-webgpu/webllm";   // was "@mlc-ai/web-llm"
// The engines run the model in a Web Worker (comlink underneath); MLCEngine uses the bundled engine worker,
// WebWorkerMLCEngine the app's own worker (whose file uses WebWorkerMLCEngineHandler from ./webllm-worker.ts).
import { createEngine, type ChatOptions, type GemmaEngine, type MLCEngineConfig } from './client.js';

export { prebuiltAppConfig } from './app-config.js';
export type { AppConfig, InitProgressCallback, InitProgressReport, ModelRecord } from './app-config.js';
export type { ChatOptions, LogLevel, MLCEngineConfig } from './client.js';
export type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionRequest,
  ChatCompletionRequestBase,
  ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming,
  ChatCompletionTool,
  ChatCompletionTokenLogprob,
  CompletionUsage,
  FinishReason as ChatCompletionFinishReason,
  ResponseFormat,
} from './openai.js';

/** The chat subset of web-llm's MLCEngineInterface that this engine implements (plus load/cache calls). */
export type MLCEngineInterface = GemmaEngine;

/** `new MLCEngine(engineConfig?)`, then `reload(modelId)`: web-llm's main-thread engine (ours runs in a worker). */
export const MLCEngine = function MLCEngine(engineConfig?: MLCEngineConfig) {
  return createEngine(engineConfig);
} as unknown as { new (engineConfig?: MLCEngineConfig): MLCEngineInterface };
export type MLCEngine = MLCEngineInterface;

/** `new WebWorkerMLCEngine(worker, engineConfig?)`: the engine in the app's own worker. */
export const WebWorkerMLCEngine = function WebWorkerMLCEngine(worker: Worker, engineConfig?: MLCEngineConfig) {
  return createEngine({ ...engineConfig, worker });
} as unknown as { new (worker: Worker, engineConfig?: MLCEngineConfig): MLCEngineInterface };
export type WebWorkerMLCEngine = MLCEngineInterface;

export async function CreateMLCEngine(modelId: string | string[], engineConfig?: MLCEngineConfig, chatOpts?: ChatOptions | ChatOptions[]): Promise<MLCEngineInterface> {
  const engine = createEngine(engineConfig);
  await engine.reload(modelId, chatOpts);
  return engine;
}

export async function CreateWebWorkerMLCEngine(
  worker: Worker,
  modelId: string | string[],
  engineConfig?: MLCEngineConfig,
  chatOpts?: ChatOptions | ChatOptions[],
): Promise<MLCEngineInterface> {
  const engine = createEngine({ ...engineConfig, worker });
  await engine.reload(modelId, chatOpts);
  return engine;
}
