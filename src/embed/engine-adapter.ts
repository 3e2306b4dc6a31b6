// Adapts the chat API of src/api (web-llm-shaped createEngine()) to the ChatBackend seam the chat UI consumes:
// streamed ChatCompletionChunks become text / reasoning / tool-call events, usage becomes the stats line.
import { WEBLLM_GEMMA4_ALIASES, prebuiltAppConfig } from '../api/app-config.js';
import { createEngine, type GemmaEngine } from '../api/client.js';
import type { ChatCompletionMessageParam, ChatCompletionRequestStreaming } from '../api/openai.js';
import type { ChatBackend, ChatTurn, KnownModel, StreamEvent, StreamRequest, ToolCall } from './chat-backend.js';

export interface BackendOptions {
  /** A worker to run the engine in (the embed's blob bootstrap); default: the bundled engine worker. */
  readonly worker?: Worker;
  /** Compute backend forced for every load, over each load's own choice (unset: the load's choice, default 'auto'). */
  readonly backend?: 'auto' | 'webgpu' | 'cpu';
}

export interface TestableBackend extends ChatBackend {
  /** The engine underneath (e2e tests reach its test hooks through it). */
  readonly engine: GemmaEngine;
}

export function createChatBackend(options: BackendOptions = {}): TestableBackend {
  const engine = createEngine({ worker: options.worker });
  return {
    engine,
    async load(model, o) {
      // A backend forced for the whole page (the app's ?backend=) wins over the per-load choice (the "Run on" setting).
      const info = await engine.load(model, { contextLength: o.contextLength, backend: options.backend ?? o.backend, onProgress: o.onProgress });
      return { name: info.name, contextLength: info.contextLength, fromCache: info.fromCache, backend: info.backend, backendReason: info.backendReason,
        cpu: info.cpu && { threads: info.cpu.threads, threadsReason: info.cpu.threadsReason } };
    },
    stream: (request) => streamChat(engine, request),
    interrupt: async () => engine.interruptGenerate(),
    knownModels,
    listModels: () => engine.listModels(),
    deleteModel: (id) => engine.deleteModel(id),
    deleteAllModels: () => engine.deleteAllModels(),
    terminate: () => engine.terminate(),
  };
}

/** The registry's GGUF files (web-llm's alias ids left out: they name the same file). */
function knownModels(): KnownModel[] {
  return prebuiltAppConfig.model_list
    .filter((r) => !(r.model_id in WEBLLM_GEMMA4_ALIASES))
    .map((r) => ({
      id: r.model_id,
      name: r.model_id.replace(/^gemma-4-(e\d+b)-it/i, (_, f: string) => `Gemma 4 ${f.toUpperCase()} it`).replace(/-qat-/, ' QAT ').replace(/-/g, ' '),
      quant: (/(q\d_[0-9a-z_]+|bf16|f16|f32)$/i.exec(r.model_id)?.[1] ?? '').toUpperCase(),
      gpuMB: r.vram_required_MB,
    }));
}

function toMessage(t: ChatTurn): ChatCompletionMessageParam {
  if (t.role === 'tool') return { role: 'tool', content: t.content, tool_call_id: t.toolCallId ?? '' };
  if (t.role === 'assistant') {
    return t.toolCalls?.length
      ? { role: 'assistant', content: t.content || null, tool_calls: t.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) }
      : { role: 'assistant', content: t.content };
  }
  return { role: t.role, content: t.content };
}

async function* streamChat(engine: GemmaEngine, r: StreamRequest): AsyncGenerator<StreamEvent> {
  const request: ChatCompletionRequestStreaming = {
    messages: r.messages.map(toMessage),
    stream: true,
    stream_options: { include_usage: true },
    tools: r.tools?.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })),
    extra_body: { enable_thinking: r.thinking ?? false },
    temperature: r.temperature,
    top_p: r.topP,
    top_k: r.topK,
    max_tokens: r.maxTokens,
  };
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  let finishReason = 'stop';
  for await (const chunk of await engine.chat.completions.create(request)) {
    const choice = chunk.choices[0];
    if (choice) {
      const d = choice.delta;
      if (d.reasoning_content) yield { type: 'reasoning', text: d.reasoning_content };
      if (d.content) yield { type: 'text', text: d.content };
      for (const tc of d.tool_calls ?? []) {
        const c = calls.get(tc.index) ?? { id: '', name: '', arguments: '' };
        if (tc.id) c.id = tc.id;
        if (tc.function?.name) c.name += tc.function.name;
        if (tc.function?.arguments) c.arguments += tc.function.arguments;
        calls.set(tc.index, c);
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    if (chunk.usage) {
      if (calls.size) yield { type: 'tool_calls', calls: [...calls.values()].map((c, i): ToolCall => ({ ...c, id: c.id || `call_${i}` })) };
      calls.clear();
      const u = chunk.usage;
      yield {
        type: 'done',
        finishReason,
        usage: { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, timeToFirstTokenS: u.extra.time_to_first_token_s, decodeTokensPerS: u.extra.decode_tokens_per_s },
      };
      return;
    }
  }
  if (calls.size) yield { type: 'tool_calls', calls: [...calls.values()].map((c, i): ToolCall => ({ ...c, id: c.id || `call_${i}` })) };
  yield { type: 'done', finishReason };
}
