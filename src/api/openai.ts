// OpenAI chat-completions request and response types in web-llm 0.2.86's shapes (notes/webllm-api.md §3-4), plus
// Gemma extensions (reasoning_content, extra_body.enable_thinking). Structural copies: web-llm is only a dev
// dependency, checked against these in src/api/webllm-types.test.ts.

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'abort';

export interface ChatCompletionContentPartText {
  type: 'text';
  text: string;
}
export interface ChatCompletionContentPartImage {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}
export type ChatCompletionContentPart = ChatCompletionContentPartText | ChatCompletionContentPartImage;

export interface ChatCompletionSystemMessageParam {
  role: 'system';
  content: string;
  name?: string;
}
export interface ChatCompletionUserMessageParam {
  role: 'user';
  content: string | ChatCompletionContentPart[];
  name?: string;
}
export interface ChatCompletionMessageToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}
export interface ChatCompletionAssistantMessageParam {
  role: 'assistant';
  content?: string | null;
  name?: string;
  tool_calls?: ChatCompletionMessageToolCall[];
  /** Gemma: the thought of this message; rendered only when the template keeps it (after the last user message). */
  reasoning_content?: string | null;
}
export interface ChatCompletionToolMessageParam {
  role: 'tool';
  content: string;
  tool_call_id: string;
}
export type ChatCompletionMessageParam =
  | ChatCompletionSystemMessageParam
  | ChatCompletionUserMessageParam
  | ChatCompletionAssistantMessageParam
  | ChatCompletionToolMessageParam;

export type FunctionParameters = Record<string, unknown>;
export interface FunctionDefinition {
  name: string;
  description?: string;
  parameters?: FunctionParameters;
}
export interface ChatCompletionTool {
  type: 'function';
  function: FunctionDefinition;
}
export interface ChatCompletionNamedToolChoice {
  type: 'function';
  function: { name: string };
}
/** 'required' and a named tool need constrained decoding (added by the constraints work); rejected until then. */
export type ChatCompletionToolChoiceOption = 'none' | 'auto' | 'required' | ChatCompletionNamedToolChoice;

export interface ResponseFormat {
  type?: 'text' | 'json_object' | 'grammar' | 'structural_tag';
  /** A JSON-encoded schema string (web-llm's convention), with type json_object. */
  schema?: string;
  grammar?: string;
  structural_tag?: unknown;
}

export interface ChatCompletionStreamOptions {
  include_usage?: boolean;
}

export interface ChatCompletionRequestBase {
  messages: ChatCompletionMessageParam[];
  stream?: boolean | null;
  stream_options?: ChatCompletionStreamOptions | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  repetition_penalty?: number | null;
  max_tokens?: number | null;
  stop?: string | null | Array<string>;
  temperature?: number | null;
  top_p?: number | null;
  /** Gemma/llama.cpp extensions, beyond web-llm. */
  top_k?: number | null;
  min_p?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  n?: number | null;
  seed?: number | null;
  tools?: Array<ChatCompletionTool>;
  tool_choice?: ChatCompletionToolChoiceOption;
  response_format?: ResponseFormat;
  ignore_eos?: boolean;
  model?: string | null;
  extra_body?: {
    /** Gemma 4 thinking: `<|think|>` at the top of the system turn; the thought comes back as reasoning_content. */
    enable_thinking?: boolean | null;
    enable_latency_breakdown?: boolean | null;
  };
}
export interface ChatCompletionRequestNonStreaming extends ChatCompletionRequestBase {
  stream?: false | null;
}
export interface ChatCompletionRequestStreaming extends ChatCompletionRequestBase {
  stream: true;
}
export type ChatCompletionRequest = ChatCompletionRequestNonStreaming | ChatCompletionRequestStreaming;

export interface TopLogprob {
  token: string;
  bytes: Array<number> | null;
  logprob: number;
}
export interface ChatCompletionTokenLogprob extends TopLogprob {
  top_logprobs: Array<TopLogprob>;
}

export interface CompletionUsage {
  completion_tokens: number;
  /** Tokens prefilled in this round (a reused prefix is not counted), as web-llm counts them. */
  prompt_tokens: number;
  total_tokens: number;
  extra: {
    e2e_latency_s: number;
    prefill_tokens_per_s: number;
    decode_tokens_per_s: number;
    time_to_first_token_s: number;
    time_per_output_token_s: number;
    /** Ours: prompt tokens whose KV cache was reused from the previous turn. */
    reused_prompt_tokens?: number;
  };
}

export interface ChatCompletionMessage {
  content: string | null;
  role: 'assistant';
  tool_calls?: Array<ChatCompletionMessageToolCall>;
  /** Gemma: the model's thought (thinking on), never part of content. */
  reasoning_content?: string | null;
}

export interface ChatCompletionChoice {
  finish_reason: FinishReason;
  index: number;
  logprobs: { content: Array<ChatCompletionTokenLogprob> | null } | null;
  message: ChatCompletionMessage;
}

export interface ChatCompletion {
  id: string;
  choices: Array<ChatCompletionChoice>;
  model: string;
  object: 'chat.completion';
  created: number;
  usage?: CompletionUsage;
  system_fingerprint?: string;
}

export interface ChatCompletionChunkToolCall {
  index: number;
  id?: string;
  function?: { arguments?: string; name?: string };
  type?: 'function';
}
export interface ChatCompletionChunkDelta {
  content?: string | null;
  role?: 'system' | 'user' | 'assistant' | 'tool';
  tool_calls?: Array<ChatCompletionChunkToolCall>;
  /** Gemma: a piece of the thought. */
  reasoning_content?: string | null;
}
export interface ChatCompletionChunkChoice {
  delta: ChatCompletionChunkDelta;
  finish_reason: FinishReason | null;
  index: number;
  logprobs?: { content: Array<ChatCompletionTokenLogprob> | null } | null;
}
export interface ChatCompletionChunk {
  id: string;
  choices: Array<ChatCompletionChunkChoice>;
  created: number;
  model: string;
  object: 'chat.completion.chunk';
  system_fingerprint?: string;
  usage?: CompletionUsage;
}
