// Adapts the engine client of src/api to the ChatBackend seam the chat UI consumes.
import { createEngine, type EngineClient } from '../api/client.js';
import type { ChatBackend, StreamEvent, StreamRequest } from './chat-backend.js';

export interface BackendOptions {
  /** A worker to run the engine in (the embed's blob bootstrap); default: the bundled engine worker. */
  readonly worker?: Worker;
}

export function createChatBackend(options: BackendOptions = {}): ChatBackend {
  const client: EngineClient = createEngine({ worker: options.worker });
  return {
    async load(model, o) {
      const info = await client.load(model, { contextLength: o.contextLength, onProgress: o.onProgress });
      return { name: info.name, contextLength: info.contextLength, fromCache: info.fromCache };
    },
    stream: (request) => streamText(client, request),
    interrupt: () => client.interrupt(),
    knownModels: () => [],
    listModels: () => client.listModels(),
    deleteModel: (id) => client.deleteModel(id),
    deleteAllModels: () => client.deleteAllModels(),
    terminate: () => client.terminate(),
  };
}

async function* streamText(client: EngineClient, request: StreamRequest): AsyncGenerator<StreamEvent> {
  const messages = request.messages
    .filter((m) => m.role !== 'tool')
    .map((m) => ({ role: m.role as 'system' | 'user' | 'assistant', content: m.content }));
  const t0 = performance.now();
  let first: number | undefined;
  const it = client.generate({
    messages,
    maxTokens: request.maxTokens,
    sampling: { temperature: request.temperature, topP: request.topP, topK: request.topK },
  });
  while (true) {
    const r = await it.next();
    if (r.done) {
      const res = r.value;
      yield {
        type: 'done',
        finishReason: res.finishReason,
        usage: {
          promptTokens: res.promptTokens,
          completionTokens: res.tokens.length,
          timeToFirstTokenS: first !== undefined ? (first - t0) / 1000 : undefined,
          decodeTokensPerS: res.decodeTokensPerSecond,
        },
      };
      return;
    }
    first ??= performance.now();
    if (r.value.text) yield { type: 'text', text: r.value.text };
  }
}
