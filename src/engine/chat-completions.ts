// One OpenAI chat completion on a loaded model: request -> runtime messages and tools -> prompt ids -> session ->
// parsed output (content, reasoning_content, tool_calls) -> web-llm-shaped chunks or a ChatCompletion with usage.
import { EngineError } from '../api/errors.js';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionRequest,
  ChatCompletionTokenLogprob,
  CompletionUsage,
  FinishReason,
} from '../api/openai.js';
import { checkGenerationConfig, checkRequestFields } from '../api/openai-validation.js';
import type { AbortFlag, GeneratedToken } from '../model/generator.js';
import { GemmaOutputParser, markersOf, type OutputEvent, type OutputWarning } from '../runtime/chat/output-parser.js';
import type { PromptBuilder } from '../runtime/chat/prompt.js';
import { normalizeTool } from '../runtime/chat/schema.js';
import type { ChatMessage, ToolDeclaration } from '../runtime/chat/types.js';
import { resolveSamplingParams } from '../runtime/sampling-params.js';
import type { Session } from '../runtime/session.js';
import { StopStringMatcher } from '../runtime/stop.js';
import type { Tokenizer } from '../runtime/tokenizer/tokenizer.js';

export interface ChatModel {
  readonly modelId: string;
  readonly tokenizer: Tokenizer;
  readonly prompts: PromptBuilder;
  readonly session: Session;
}

export interface ChatRunOptions {
  readonly signal: AbortFlag;
  readonly onChunk?: (c: ChatCompletionChunk) => void;
  /** Test hook (EngineTestHooks.forceTokens): ids that replace the first sampled ones. */
  readonly forcedTokens?: readonly number[];
}

export interface ChatRunResult {
  readonly completion?: ChatCompletion;
  /** The last choice's content (getMessage). */
  readonly message: string;
  readonly prefillTokens: number;
  readonly prefillSeconds: number;
  readonly decodeTokens: number;
  readonly decodeSeconds: number;
  readonly warnings: readonly OutputWarning[];
}

/** RNG counters of choice i start at i * 2^20, so n > 1 choices with one seed differ and each stays reproducible. */
const CHOICE_STEP_STRIDE = 1 << 20;

/** OpenAI messages to the runtime's neutral ones: tool results' JSON parsed into objects (spec §3.3). */
export function toChatMessages(messages: readonly ChatCompletionMessageParam[]): ChatMessage[] {
  return messages.map((m): ChatMessage => {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.content };
      case 'user':
        return { role: 'user', content: typeof m.content === 'string' ? m.content : m.content.flatMap((p) => (p.type === 'text' ? [{ type: 'text' as const, text: p.text }] : [])) };
      case 'assistant':
        return {
          role: 'assistant',
          content: m.content ?? null,
          reasoning: m.reasoning_content ?? null,
          toolCalls: m.tool_calls?.map((c) => ({ id: c.id, name: c.function.name, arguments: parseArguments(c.function.arguments, c.function.name) })),
        };
      case 'tool':
        return { role: 'tool', content: parseToolContent(m.content), toolCallId: m.tool_call_id };
    }
  });
}

function parseArguments(args: string, name: string): Record<string, unknown> {
  if (args === '' || args === undefined) return {};
  try {
    const v: unknown = JSON.parse(args);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new EngineError('BAD_REQUEST', `tool_calls of "${name}": function.arguments must be a JSON object string; got ${JSON.stringify(args).slice(0, 80)}.`, {}, 'InvalidToolCallArgumentsError');
}

/** A JSON object or array in a tool result renders natively (response:NAME{k:v}); other text stays a string. */
function parseToolContent(content: string): unknown {
  const t = content.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t);
    } catch {
      return content;
    }
  }
  return content;
}

function toolCallId(): string {
  return 'call_' + crypto.randomUUID().replace(/-/g, '').slice(0, 24);
}

export async function runChatCompletion(model: ChatModel, request: ChatCompletionRequest, o: ChatRunOptions): Promise<ChatRunResult> {
  checkRequestFields(request);
  checkGenerationConfig(request, model.tokenizer.vocabSize);
  const { tokenizer, session } = model;
  const tools: ToolDeclaration[] = (request.tools ?? []).map((t) => normalizeTool(t.function));
  const thinking = request.extra_body?.enable_thinking ?? false;
  const prompt = model.prompts.build(toChatMessages(request.messages), { tools, enableThinking: thinking === true });
  const logitBias: Record<number, number> = {};
  for (const [k, v] of Object.entries(request.logit_bias ?? {})) logitBias[Number(k)] = v;
  const seed = request.seed ?? undefined;
  const sampling = resolveSamplingParams(
    {
      temperature: request.temperature ?? undefined,
      topP: request.top_p ?? undefined,
      topK: request.top_k ?? undefined,
      minP: request.min_p ?? undefined,
      repetitionPenalty: request.repetition_penalty ?? undefined,
      presencePenalty: request.presence_penalty ?? undefined,
      frequencyPenalty: request.frequency_penalty ?? undefined,
      logitBias,
      seed: seed === undefined ? (Math.random() * 2 ** 32) >>> 0 : seed >>> 0,
    },
    tokenizer.vocabSize,
  );
  const stopIds = new Set(request.ignore_eos ? [] : tokenizer.stopIds);
  const stops = request.stop === undefined || request.stop === null ? [] : Array.isArray(request.stop) ? request.stop : [request.stop];
  const n = request.n ?? 1;
  const topLogprobs = request.logprobs ? (request.top_logprobs ?? 0) : undefined;
  const id = 'chatcmpl-' + crypto.randomUUID();
  const created = Math.floor(Date.now() / 1000);
  const toolNames = new Set(tools.map((t) => t.name));
  const markers = markersOf(tokenizer);
  const t0 = performance.now();
  const choices: ChatCompletion['choices'] = [];
  const warnings: OutputWarning[] = prompt.warning ? [{ code: 'UNPARSABLE_TOOL_CALL', message: prompt.warning }] : [];
  let prefillTokens = 0;
  let prefillMs = 0;
  let decodeMs = 0;
  let completionTokens = 0;
  let message = '';
  const chunk = (choice: ChatCompletionChunk['choices'][number]): ChatCompletionChunk => ({ id, choices: [choice], created, model: model.modelId, object: 'chat.completion.chunk' });

  for (let c = 0; c < n; c++) {
    const parser = new GemmaOutputParser(tokenizer, markers, { tools: toolNames, callsAllowed: request.tool_choice !== 'none' });
    const stop = new StopStringMatcher(stops);
    let content = '';
    let reasoning = '';
    const tokenLogprobs: ChatCompletionTokenLogprob[] = [];
    /** Text events -> content (through the stop strings) and reasoning; true when a stop string was reached. */
    const consume = (events: OutputEvent[], logprob?: ChatCompletionTokenLogprob): boolean => {
      let dContent = '';
      let dReasoning = '';
      for (const e of events) {
        if (e.channel === 'reasoning') dReasoning += e.text;
        else {
          const r = stop.push(e.text);
          dContent += r.emit;
        }
      }
      content += dContent;
      reasoning += dReasoning;
      if (o.onChunk && (dContent || dReasoning)) {
        const delta: ChatCompletionChunk['choices'][number]['delta'] = { role: 'assistant' };
        if (dContent) delta.content = dContent;
        if (dReasoning) delta.reasoning_content = dReasoning;
        o.onChunk(chunk({ delta, finish_reason: null, index: 0, logprobs: logprob ? { content: [logprob] } : null }));
      }
      return stop.stopped;
    };
    const result = await session.generate({
      prompt: prompt.ids,
      maxTokens: request.max_tokens ?? session.generator.contextLength,
      sampling,
      stopIds,
      topLogprobs,
      reusePrefix: seed === undefined,
      stepBase: c * CHOICE_STEP_STRIDE,
      signal: o.signal,
      forcedTokens: c === 0 ? o.forcedTokens : undefined,
      onToken: (t: GeneratedToken) => {
        const lp = t.logprobs ? toTokenLogprob(tokenizer, t) : undefined;
        if (lp) tokenLogprobs.push(lp);
        return consume(parser.push(t.token), lp);
      },
    });
    consume(parser.finish());
    const tail = stop.flush();
    if (tail) consume([{ channel: 'content', text: tail }]);
    warnings.push(...parser.warnings);
    prefillTokens += result.prefilledTokens;
    prefillMs += result.prefillMs;
    decodeMs += result.decodeMs;
    completionTokens += result.tokens.length;
    const calls: ChatCompletionMessageToolCall[] = parser.calls.map((call) => ({
      id: toolCallId(),
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
    let finish: FinishReason = result.finishReason;
    if (finish === 'stop' && calls.length > 0) finish = 'tool_calls';
    message = content;
    if (o.onChunk) {
      const delta: ChatCompletionChunk['choices'][number]['delta'] =
        finish === 'tool_calls' ? { role: 'assistant', tool_calls: calls.map((call, index) => ({ index, id: call.id, type: 'function', function: call.function })) } : {};
      o.onChunk(chunk({ delta, finish_reason: finish, index: 0 }));
    }
    choices.push({
      finish_reason: finish,
      index: c,
      logprobs: topLogprobs === undefined ? null : { content: tokenLogprobs },
      message: {
        role: 'assistant',
        content: finish === 'tool_calls' && content.trim() === '' ? null : content,
        ...(finish === 'tool_calls' ? { tool_calls: calls } : {}),
        ...(reasoning ? { reasoning_content: reasoning } : {}),
      },
    });
  }
  const e2e = (performance.now() - t0) / 1000;
  const usage: CompletionUsage = {
    prompt_tokens: prefillTokens,
    completion_tokens: completionTokens,
    total_tokens: prefillTokens + completionTokens,
    extra: {
      e2e_latency_s: e2e,
      prefill_tokens_per_s: prefillMs > 0 ? prefillTokens / (prefillMs / 1000) : 0,
      decode_tokens_per_s: decodeMs > 0 ? Math.max(0, completionTokens - n) / (decodeMs / 1000) : 0,
      time_to_first_token_s: prefillMs / 1000,
      time_per_output_token_s: completionTokens > n ? decodeMs / 1000 / (completionTokens - n) : 0,
      reused_prompt_tokens: prompt.ids.length * n - prefillTokens,
    },
  };
  if (o.onChunk && request.stream_options?.include_usage === true) {
    o.onChunk({ id, choices: [], created, model: model.modelId, object: 'chat.completion.chunk', usage });
  }
  const completion: ChatCompletion | undefined = request.stream ? undefined : { id, choices, model: model.modelId, object: 'chat.completion', created, usage };
  return {
    completion,
    message,
    prefillTokens,
    prefillSeconds: prefillMs / 1000,
    decodeTokens: Math.max(0, completionTokens - n),
    decodeSeconds: decodeMs / 1000,
    warnings,
  };
}

function toTokenLogprob(tokenizer: Tokenizer, t: GeneratedToken): ChatCompletionTokenLogprob {
  const entry = (id: number, logprob: number) => {
    const text = tokenizer.decode([id]);
    return { token: text, bytes: [...new TextEncoder().encode(text)], logprob };
  };
  return { ...entry(t.token, t.logprobs!.logprob), top_logprobs: t.logprobs!.top.map((a) => entry(a.id, a.logprob)) };
}
