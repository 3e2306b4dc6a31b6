// Type-level check against web-llm 0.2.86's published declarations (a dev dependency, `import type` only, so
// nothing of it is bundled). `npm run typecheck` compiles this file: a mismatch is a type error here.
// Direction: web-llm request values must be accepted by our API, and our responses must be usable where web-llm's
// are expected, so code written for web-llm compiles against ours after the import switch.
import type * as W from '@mlc-ai/web-llm';
import type { GemmaEngine } from './client.js';
import type * as O from './openai.js';
import type { AppConfig, InitProgressReport } from './app-config.js';

type Assignable<From, To> = [From] extends [To] ? true : false;
const check = <T extends true>(_proof?: T): void => {};

// Requests: everything a web-llm app can send type-checks as our request.
check<Assignable<W.ChatCompletionRequest, O.ChatCompletionRequest>>();
check<Assignable<W.ChatCompletionRequestStreaming, O.ChatCompletionRequestStreaming>>();
check<Assignable<W.ChatCompletionRequestNonStreaming, O.ChatCompletionRequestNonStreaming>>();
check<Assignable<W.ChatCompletionMessageParam, O.ChatCompletionMessageParam>>();
check<Assignable<W.ChatCompletionTool, O.ChatCompletionTool>>();
check<Assignable<W.ResponseFormat, O.ResponseFormat>>();
// Responses: ours are usable as web-llm's (extra fields such as reasoning_content are fine).
check<Assignable<O.ChatCompletion, W.ChatCompletion>>();
check<Assignable<O.ChatCompletionChunk, W.ChatCompletionChunk>>();
check<Assignable<O.CompletionUsage, W.CompletionUsage>>();
check<Assignable<InitProgressReport, W.InitProgressReport>>();
check<Assignable<W.AppConfig, AppConfig>>();

// The engine: the chat subset of MLCEngineInterface, member by member (web-llm's `chat` is a nominal class, so
// its `completions.create` is compared instead; notes/webllm-api.md §1 option A).
type ChatSubset =
  | 'setInitProgressCallback'
  | 'getInitProgressCallback'
  | 'setAppConfig'
  | 'reload'
  | 'chatCompletion'
  | 'runtimeStatsText'
  | 'interruptGenerate'
  | 'unload'
  | 'resetChat'
  | 'getMessage'
  | 'getMaxStorageBufferBindingSize'
  | 'getGPUVendor'
  | 'setLogLevel';
type WebLlmChatEngine = Pick<W.MLCEngineInterface, ChatSubset> & { chat: { completions: Pick<W.MLCEngineInterface['chat']['completions'], 'create'> } };
check<Assignable<GemmaEngine, WebLlmChatEngine>>();

// The three overloads resolve as in web-llm: a streaming request gives an async iterable, a plain one a completion.
declare const engine: GemmaEngine;
export async function overloads(): Promise<void> {
  const request: W.ChatCompletionRequest = { stream: true, messages: [{ role: 'user', content: 'hi' }] };
  for await (const chunk of await engine.chat.completions.create(request)) chunk.choices[0]?.delta.content?.toString();
  const reply = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }] });
  reply.choices[0].message.content?.toString();
  reply.usage?.extra.decode_tokens_per_s.toFixed(2);
}
