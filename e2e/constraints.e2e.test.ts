// Constrained decoding end to end in Chromium: the page's engine worker loads a random-weight tiny fixture, XGrammar
// loads lazily inside the worker, the token mask runs on WebGPU (SwiftShader). tool_choice required / named give
// tool_calls whose arguments validate against the schema, response_format json_object with a schema gives JSON
// that validates, usage.extra reports the grammar times, a bad schema is a BAD_REQUEST before any token, and an
// unconstrained request gives the same text before and after constrained ones.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GgmlType } from '../src/gguf/types.js';
import { SHAPES, generateFixture, uniformMix } from '../scripts/fixtures/gemma-fixture.js';
import { startHarness, type Harness } from '../scripts/browser-harness.js';
import { writeGgufFile } from '../scripts/gguf-file-writer.js';

type Page = Harness['page'];
interface ToolCall {
  id: string;
  type: string;
  function: { name: string; arguments: string };
}
interface ChatResult {
  ok: boolean;
  completion?: {
    choices: { message: { content: string | null; tool_calls?: ToolCall[] }; finish_reason: string }[];
    usage: { completion_tokens: number; extra: Record<string, number> };
  };
  chunks?: { choices: { delta: { content?: string; tool_calls?: ToolCall[] }; finish_reason: string | null }[]; usage?: { extra: Record<string, number> } }[];
  message?: string;
  error?: { code: string; message: string; name: string; details?: Record<string, unknown> };
}

// The whole fixture context: tool declarations spelt in the tiny vocabulary's pieces and bytes take ~300 tokens.
const load = (page: Page, url: string) =>
  page.evaluate((u) => (window as never as { harness: { load(u: string, contextLength: number): Promise<{ ok: boolean }> } }).harness.load(u, 512), url);
const chat = (page: Page, req: object) =>
  page.evaluate((r) => (window as never as { harness: { chat(r: object): Promise<ChatResult> } }).harness.chat(r), req);

const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 8 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer' } },
      required: ['city'],
    },
  },
};
const add = {
  type: 'function',
  function: { name: 'add', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } },
};
const ask = (content: string, extra: object) => ({ messages: [{ role: 'user', content }], max_tokens: 100, temperature: 0, ...extra });
const ajv = new Ajv({ strict: false });

let h: Harness;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-constraints-'));
  const f = generateFixture({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q8_0), seed: 11 });
  await writeGgufFile(join(dir, 'tiny.gguf'), f.spec, f.tensorData);
  h = await startHarness();
  h.files.serve('/tiny.gguf', join(dir, 'tiny.gguf'));
  await h.page.waitForFunction(() => document.title === 'ready');
  expect((await load(h.page, `${h.files.url}/tiny.gguf`)).ok).toBe(true);
});
afterAll(async () => h?.close());

describe('constrained decoding through the worker', () => {
  let before: string | null;

  it('an unconstrained request first (its text is compared after the constrained ones)', async () => {
    const r = await chat(h.page, ask('Hello there', { max_tokens: 10, seed: 3 }));
    expect(r.error).toBeUndefined();
    before = r.completion!.choices[0].message.content;
    expect(r.completion!.usage.extra.grammar_init_s).toBeUndefined();
  });

  it('tool_choice required: a tool call whose arguments validate, with grammar times in usage', async () => {
    const r = await chat(h.page, ask('Weather in Tokyo?', { tools: [weather, add], tool_choice: 'required', parallel_tool_calls: false }));
    expect(r.error).toBeUndefined();
    const choice = r.completion!.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0];
    const tool = [weather, add].find((t) => t.function.name === call.function.name)!;
    expect(tool).toBeDefined();
    expect(ajv.validate(tool.function.parameters, JSON.parse(call.function.arguments))).toBe(true);
    const extra = r.completion!.usage.extra;
    expect(extra.grammar_init_s).toBeGreaterThan(0);
    expect(extra.grammar_per_token_s).toBeGreaterThan(0);
  });

  it('a named tool, streamed, sampled: that tool, arguments valid, cached grammar', async () => {
    const r = await chat(h.page, {
      ...ask('Add two numbers', { tools: [weather, add], tool_choice: { type: 'function', function: { name: 'add' } }, temperature: 1, seed: 9 }),
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(r.error).toBeUndefined();
    const last = r.chunks!.filter((c) => c.choices.length > 0).at(-1)!;
    expect(last.choices[0].finish_reason).toBe('tool_calls');
    const calls = last.choices[0].delta.tool_calls!;
    expect(calls.length).toBeGreaterThanOrEqual(1);
    for (const c of calls) {
      expect(c.function.name).toBe('add');
      expect(ajv.validate(add.function.parameters, JSON.parse(c.function.arguments))).toBe(true);
    }
    expect(r.chunks!.at(-1)!.usage!.extra.grammar_init_s).toBeGreaterThanOrEqual(0);
  });

  it('response_format json_object with a schema: the content is JSON that validates', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string', maxLength: 6 }, n: { type: 'integer' } }, required: ['name', 'n'] };
    const r = await chat(h.page, ask('Give me JSON', { response_format: { type: 'json_object', schema: JSON.stringify(schema) } }));
    expect(r.error).toBeUndefined();
    const choice = r.completion!.choices[0];
    expect(choice.finish_reason).toBe('stop');
    expect(ajv.validate(schema, JSON.parse(choice.message.content!))).toBe(true);
  });

  it('a schema that cannot be compiled is BAD_REQUEST naming the tool and field; mismatched fields use web-llm names', async () => {
    const bad = { type: 'function', function: { name: 'bad', parameters: { type: 'object', properties: { when: { type: 'date' } } } } };
    const r = await chat(h.page, ask('x', { tools: [bad], tool_choice: 'required' }));
    expect(r.error).toMatchObject({ code: 'BAD_REQUEST', details: { tool: 'bad', field: 'tools[0].function.parameters.properties.when' } });
    const g = await chat(h.page, ask('x', { response_format: { type: 'json_object', grammar: 'root ::= "a"' } }));
    expect(g.error).toMatchObject({ code: 'BAD_REQUEST', name: 'InvalidResponseFormatGrammarError' });
    const e = await chat(h.page, ask('x', { response_format: { type: 'grammar', grammar: 'root ::= ' } }));
    expect(e.error).toMatchObject({ code: 'BAD_REQUEST', name: 'InvalidResponseFormatGrammarError' });
  });

  it('a grammar that dead-ends ends the request with CONSTRAINT_DEAD_END', async () => {
    const r = await chat(h.page, ask('x', { response_format: { type: 'grammar', grammar: 'root ::= "a" "\\x0e"' } }));
    expect(r.error).toMatchObject({ code: 'CONSTRAINT_DEAD_END' });
  });

  it('the unconstrained request gives the same text afterwards (no mask, no state left behind)', async () => {
    const r = await chat(h.page, ask('Hello there', { max_tokens: 10, seed: 3 }));
    expect(r.completion!.choices[0].message.content).toBe(before);
  });
});
