// Request validation in web-llm 0.2.86's order and with its error names (notes/webllm-api.md §5), each an
// EngineError (code BAD_REQUEST unless said otherwise) whose message says what to do. Two stages as in web-llm:
// checkRequestFields (create() rejects) and checkGenerationConfig (for a stream: at the first next()).
import { EngineError } from './errors.js';
import type { ChatCompletionRequest } from './openai.js';

const bad = (name: string, message: string, details: Record<string, unknown> = {}) => new EngineError('BAD_REQUEST', message, details, name);

/** Stage 1: message order, stream/n, seed, response_format, tools, stream_options. */
export function checkRequestFields(r: ChatCompletionRequest): void {
  if (typeof r !== 'object' || r === null) throw bad('InvalidRequestError', 'The request must be an object with a `messages` array.');
  if (!Array.isArray(r.messages) || r.messages.length === 0) {
    throw bad('MessageOrderError', '`messages` must be a non-empty array; the last message should be from either `user` or `tool`.');
  }
  r.messages.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || !['system', 'user', 'assistant', 'tool'].includes((m as { role?: string }).role ?? '')) {
      throw bad('InvalidMessageError', `messages[${i}] needs a role of "system", "user", "assistant" or "tool".`, { index: i });
    }
    if (m.role === 'user' && typeof m.content !== 'string') {
      if (!Array.isArray(m.content)) throw bad('InvalidMessageError', `messages[${i}].content must be a string or an array of content parts.`, { index: i });
      const nonText = m.content.find((p) => p?.type !== 'text');
      if (nonText) {
        throw bad('UserMessageContentErrorForNonVLM', `messages[${i}] has a "${nonText.type}" part; this model takes text only. Send the content as a string or text parts.`, {
          index: i,
        });
      }
    }
    if ((m.role === 'system' || m.role === 'tool') && typeof m.content !== 'string') {
      throw bad('InvalidMessageError', `messages[${i}].content (${m.role}) must be a string.`, { index: i });
    }
    if (m.role === 'tool' && typeof m.tool_call_id !== 'string') {
      throw bad('InvalidMessageError', `messages[${i}] (tool) needs the tool_call_id of the call it answers.`, { index: i });
    }
    if (m.role === 'system' && i !== 0) throw bad('SystemMessageOrderError', 'System prompt should always be the first message in `messages`.', { index: i });
  });
  const last = r.messages[r.messages.length - 1];
  if (last.role !== 'user' && last.role !== 'tool') throw bad('MessageOrderError', 'Last message should be from either `user` or `tool`.');
  const n = r.n ?? 1;
  if (r.stream && n > 1) throw bad('StreamingCountError', 'When streaming, `n` cannot be > 1.');
  if (!(Number.isInteger(n) && n >= 1)) throw bad('InvalidNumberError', `\`n\` should be a positive integer, but got ${n}.`);
  if (r.seed !== undefined && r.seed !== null && !Number.isInteger(r.seed)) throw bad('SeedTypeError', `\`seed\` should be an integer, but got ${r.seed}`);
  const rf = r.response_format;
  if (rf) {
    if (rf.schema !== undefined && rf.schema !== null && rf.type !== 'json_object') {
      throw bad('InvalidResponseFormatError', 'JSON schema is only supported with `json_object` response format.');
    }
    if ((rf.grammar !== undefined && rf.grammar !== null) !== (rf.type === 'grammar')) {
      throw bad('InvalidResponseFormatGrammarError', 'Set `grammar` exactly when the response format type is "grammar".');
    }
    if ((rf.structural_tag !== undefined && rf.structural_tag !== null) !== (rf.type === 'structural_tag')) {
      throw bad('InvalidResponseFormatStructuralTagError', 'Set `structural_tag` exactly when the response format type is "structural_tag".');
    }
    if (rf.type !== undefined && rf.type !== 'text') {
      throw new EngineError('UNSUPPORTED', `response_format type "${rf.type}" needs constrained decoding, which this engine does not have yet; omit it or use "text".`, {}, 'UnsupportedResponseFormatError');
    }
  }
  if (r.tools !== undefined) {
    if (!Array.isArray(r.tools)) throw bad('InvalidToolsError', '`tools` must be an array of {type: "function", function: {name, description, parameters}}.');
    r.tools.forEach((t, i) => {
      if (t?.type !== 'function' || typeof t.function?.name !== 'string') {
        throw bad('InvalidToolsError', `tools[${i}] must be {type: "function", function: {name, description?, parameters?}}.`, { index: i });
      }
    });
  }
  const tc = r.tool_choice;
  if (tc !== undefined && tc !== 'none' && tc !== 'auto') {
    throw new EngineError(
      'UNSUPPORTED',
      `tool_choice ${JSON.stringify(tc)} needs constrained decoding, which this engine does not have yet; use "auto" (the model decides) or "none".`,
      {},
      'UnsupportedToolChoiceError',
    );
  }
  if (r.stream_options !== undefined && r.stream_options !== null && !r.stream) {
    throw bad('InvalidStreamOptionsError', 'Only specify stream_options when stream=True.');
  }
}

const isNum = (v: unknown): v is number => typeof v === 'number';

/** Stage 2: value ranges (web-llm's postInitAndCheckGenerationConfigValues), messages say "Make sure …". */
export function checkGenerationConfig(r: ChatCompletionRequest, vocabSize?: number): void {
  const inRange = (field: string, v: number | null | undefined, lo: number, hi: number) => {
    if (v === undefined || v === null) return;
    if (!(isNum(v) && v >= lo && v <= hi)) throw bad('RangeError', `Make sure \`${field}\` is in [${lo}, ${hi}]; got ${v}.`, { field });
  };
  inRange('frequency_penalty', r.frequency_penalty, -2, 2);
  inRange('presence_penalty', r.presence_penalty, -2, 2);
  if (r.repetition_penalty !== undefined && r.repetition_penalty !== null && !(isNum(r.repetition_penalty) && r.repetition_penalty > 0)) {
    throw bad('MinValueError', `Make sure \`repetition_penalty\` is > 0; got ${r.repetition_penalty}.`, { field: 'repetition_penalty' });
  }
  if (r.max_tokens !== undefined && r.max_tokens !== null && !(isNum(r.max_tokens) && r.max_tokens > 0 && Number.isInteger(r.max_tokens))) {
    throw bad('MinValueError', `Make sure \`max_tokens\` is a positive integer; got ${r.max_tokens}.`, { field: 'max_tokens' });
  }
  if (r.top_p !== undefined && r.top_p !== null && !(isNum(r.top_p) && r.top_p > 0 && r.top_p <= 1)) {
    throw bad('RangeError', `Make sure \`top_p\` is in (0, 1]; got ${r.top_p}.`, { field: 'top_p' });
  }
  if (r.temperature !== undefined && r.temperature !== null && !(isNum(r.temperature) && r.temperature >= 0 && Number.isFinite(r.temperature))) {
    throw bad('NonNegativeError', `Make sure \`temperature\` is >= 0; got ${r.temperature}.`, { field: 'temperature' });
  }
  if (r.top_k !== undefined && r.top_k !== null && !(Number.isInteger(r.top_k) && r.top_k >= 0)) {
    throw bad('NonNegativeError', `Make sure \`top_k\` is an integer >= 0 (0 = off); got ${r.top_k}.`, { field: 'top_k' });
  }
  inRange('min_p', r.min_p, 0, 1);
  if (r.logit_bias) {
    for (const [key, v] of Object.entries(r.logit_bias)) {
      if (!/^\d+$/.test(key) || (vocabSize !== undefined && Number(key) >= vocabSize)) {
        throw bad('InvalidNumberStringError', `Make sure every \`logit_bias\` key is a token id${vocabSize ? ` below ${vocabSize}` : ''}; got "${key}".`, { field: 'logit_bias' });
      }
      if (!(isNum(v) && v >= -100 && v <= 100)) throw bad('RangeError', `Make sure \`logit_bias\` values are in [-100, 100]; got ${v} for ${key}.`, { field: 'logit_bias' });
    }
  }
  if (r.top_logprobs !== undefined && r.top_logprobs !== null) {
    if (!r.logprobs) throw bad('DependencyError', '`top_logprobs` needs `logprobs: true`. Make sure to set it.', { field: 'top_logprobs' });
    inRange('top_logprobs', r.top_logprobs, 0, 5);
    if (!Number.isInteger(r.top_logprobs)) throw bad('RangeError', `Make sure \`top_logprobs\` is an integer in [0, 5]; got ${r.top_logprobs}.`);
  }
}
