// Request validation: web-llm's error names, in web-llm's order, as EngineErrors whose message says what to do.
import { describe, expect, it } from 'vitest';
import { EngineError } from './errors.js';
import type { ChatCompletionRequest } from './openai.js';
import { checkGenerationConfig, checkRequestFields } from './openai-validation.js';

const u = { role: 'user' as const, content: 'hi' };
const fails = (f: () => void) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('expected a rejection');
};
const fields = (r: object) => fails(() => checkRequestFields(r as ChatCompletionRequest));
const config = (r: object) => fails(() => checkGenerationConfig({ messages: [u], ...r } as ChatCompletionRequest));

describe('checkRequestFields', () => {
  it.each([
    ['SystemMessageOrderError', { messages: [u, { role: 'system', content: 's' }, u] }, /first message/],
    ['MessageOrderError', { messages: [u, { role: 'assistant', content: 'a' }] }, /Last message/],
    ['MessageOrderError', { messages: [] }, /non-empty/],
    ['StreamingCountError', { messages: [u], stream: true, n: 2 }, /cannot be > 1/],
    ['SeedTypeError', { messages: [u], seed: 1.5 }, /integer/],
    ['InvalidResponseFormatError', { messages: [u], response_format: { type: 'text', schema: '{}' } }, /json_object/],
    ['InvalidResponseFormatGrammarError', { messages: [u], response_format: { type: 'grammar' } }, /grammar/],
    ['InvalidStreamOptionsError', { messages: [u], stream_options: { include_usage: true } }, /stream=True/],
    ['UserMessageContentErrorForNonVLM', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x' } }] }] }, /text only/],
    ['InvalidMessageError', { messages: [{ role: 'tool', content: 'x' }] }, /tool_call_id/],
    ['UnsupportedToolChoiceError', { messages: [u], tool_choice: 'required' }, /constrained decoding/],
  ])('%s', (name, request, message) => {
    const e = fields(request);
    expect(e.name).toBe(name);
    expect(e.message).toMatch(message);
  });

  it('checks in web-llm order: system order before last-message order before streaming count before seed', () => {
    const all = { messages: [u, { role: 'system', content: 's' }, { role: 'assistant', content: 'a' }], stream: true, n: 2, seed: 0.5 };
    expect(fields(all).name).toBe('SystemMessageOrderError');
    expect(fields({ ...all, messages: [u, { role: 'assistant', content: 'a' }] }).name).toBe('MessageOrderError');
    expect(fields({ ...all, messages: [u] }).name).toBe('StreamingCountError');
    expect(fields({ ...all, messages: [u], n: 1 }).name).toBe('SeedTypeError');
  });

  it('accepts unknown fields, tools, tool results and a valid stream', () => {
    expect(() =>
      checkRequestFields({
        messages: [u, { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', content: '{}', tool_call_id: 'a' }],
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice: 'auto',
        stream: true,
        stream_options: { include_usage: true },
        signal: 'ignored',
      } as unknown as ChatCompletionRequest),
    ).not.toThrow();
  });
});

describe('checkGenerationConfig', () => {
  it.each([
    ['RangeError', { frequency_penalty: 3 }],
    ['RangeError', { presence_penalty: -2.5 }],
    ['MinValueError', { repetition_penalty: 0 }],
    ['MinValueError', { max_tokens: 0 }],
    ['RangeError', { top_p: 0 }],
    ['RangeError', { top_p: 1.5 }],
    ['NonNegativeError', { temperature: -1 }],
    ['RangeError', { temperature: 0, logit_bias: { '5': 101 } }],
    ['InvalidNumberStringError', { logit_bias: { abc: 1 } }],
    ['DependencyError', { top_logprobs: 2 }],
    ['RangeError', { logprobs: true, top_logprobs: 6 }],
    ['RangeError', { top_p: NaN }],
  ])('%s for %j', (name, r) => {
    const e = config(r);
    expect(e.name).toBe(name);
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toMatch(/Make sure/);
  });
  it('accepts the edges', () => {
    expect(() => checkGenerationConfig({ messages: [u], temperature: 0, top_p: 1, frequency_penalty: 2, presence_penalty: -2, logprobs: true, top_logprobs: 5, logit_bias: { '0': -100, '999999': 5 } })).not.toThrow();
  });
});
