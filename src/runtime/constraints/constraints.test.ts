// Constrained decoding pieces on the synthetic Gemma 4 vocabulary (XGrammar in Node): the vocabulary view, the
// tool-call grammar accepting well-formed calls token by token and refusing everything else, special tokens only as
// tokens, the phases (thinking, triggered), compile caching, and the typed errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSyntheticVocab } from '../../../scripts/fixtures/synthetic-vocab.js';
import { nodeXGrammarLoader } from '../../../scripts/xgrammar-node.js';
import { countAllowed, maskAllows } from '../../reference/token-mask.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { ConstraintError } from './errors.js';
import { GrammarEngine, type ConstraintSpec } from './grammar-engine.js';
import { SENTINEL_LEAD, buildGrammarVocabulary, substituteSpecials } from './grammar-vocabulary.js';
import type { ToolDefinition } from './gemma-tool-grammar.js';
import { constraintFromRequest } from './request-constraint.js';
import type { TokenConstraint } from './token-constraint.js';

const V = 640;
const STOP = [1, 106, 50];
const vocab = buildSyntheticVocab(V);
const tokenizer = Tokenizer.fromVocab({ tokens: vocab.tokens, merges: vocab.merges, tokenTypes: vocab.tokenTypes, scores: vocab.scores });
const gv = buildGrammarVocabulary(vocab, STOP);
let engine: GrammarEngine;
beforeAll(() => {
  engine = new GrammarEngine(gv, nodeXGrammarLoader);
});

const weather: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 10 }, unit: { type: 'string', enum: ['c', 'f'] }, days: { type: 'integer' } },
      required: ['city'],
    },
  },
};
const ping: ToolDefinition = { type: 'function', function: { name: 'ping' } };

/** Text with <|"|> / <|tool_call> / <tool_call|> written as their tokens, everything else tokenized. */
function ids(text: string): number[] {
  return tokenizer.encode(text, { parseSpecial: true });
}

async function run(c: TokenConstraint, tokens: number[]): Promise<boolean> {
  for (const t of tokens) {
    const mask = await c.nextMask();
    if (mask && !maskAllows(mask, t)) return false;
    c.accept(t);
  }
  return true;
}

const toolSpec = (tools: ToolDefinition[], extra: Partial<Extract<ConstraintSpec, { kind: 'tool_calls' }>> = {}): ConstraintSpec => ({
  kind: 'tool_calls',
  tools,
  parallel: true,
  triggered: false,
  ...extra,
});

describe('grammar vocabulary', () => {
  it('gives each named special token a unique sentinel and hides stop tokens, unused slots and the <0x0E> byte', () => {
    const sentinels = [...gv.sentinels.values()];
    expect(new Set(sentinels).size).toBe(sentinels.length);
    expect(gv.sentinels.has(48) && gv.sentinels.has(52) && gv.sentinels.has(100)).toBe(true);
    for (const id of STOP) expect(gv.encoded[id]).toBe('');
    expect(gv.encoded[238 + 0x0e]).toBe('');
    const unused = vocab.tokenTypes.indexOf(5);
    expect(unused).toBeGreaterThan(0);
    expect(gv.encoded[unused]).toBe(''); // <unusedN>
    expect(gv.encoded.filter((s, id) => s.includes(SENTINEL_LEAD) && !gv.sentinels.has(id))).toEqual([]);
  });

  it('maps special-token text in user grammars to the tokens (also the escaped EBNF spelling of <|"|>)', () => {
    const r = substituteSpecials(gv, 'root ::= "<|tool_call>" "x" "<|\\"|>"', true);
    expect(r.ids).toEqual(new Set([48, 52]));
    expect(r.text).not.toContain('<|');
  });
});

describe('Gemma tool-call grammar', () => {
  it('accepts well-formed calls, token by token, and then a stop token', async () => {
    const { constraint } = await engine.compile(toolSpec([weather, ping]));
    for (const call of [
      '<|tool_call>call:get_weather{city:<|"|>Tokyo<|"|>}<tool_call|>',
      '<|tool_call>call:get_weather{city:<|"|><|"|>,days:-12,unit:<|"|>f<|"|>}<tool_call|>',
      '<|tool_call>call:ping{}<tool_call|><|tool_call>call:get_weather{city:<|"|>a b<|"|>,days:0}<tool_call|>',
    ]) {
      const c = await engine.start(constraint);
      expect(await run(c, ids(call)), call).toBe(true);
      const mask = (await c.nextMask())!;
      for (const s of STOP) expect(maskAllows(mask, s)).toBe(true);
      expect(maskAllows(mask, 48)).toBe(true); // parallel: another call may follow
      c.accept(50);
      expect(c.done).toBe(true);
    }
  });

  it('refuses unknown names, unknown keys, a missing required key, wrong types, enum misses, too long strings', async () => {
    const { constraint } = await engine.compile(toolSpec([weather, ping]));
    for (const bad of [
      '<|tool_call>call:get_time{',
      '<|tool_call>call:get_weather{town:',
      '<|tool_call>call:get_weather{days:1}',
      '<|tool_call>call:get_weather{city:<|"|>x<|"|>,days:1.5',
      '<|tool_call>call:get_weather{city:<|"|>x<|"|>,unit:<|"|>k',
      '<|tool_call>call:get_weather{city:<|"|>abcdefghijk',
      '<|tool_call>call:get_weather{city:"x"}',
      '<|tool_call>call:get_weather{ city:',
    ]) {
      const c = await engine.start(constraint);
      expect(await run(c, ids(bad)), bad).toBe(false);
    }
  });

  it('matches special tokens only as tokens: never spelt from pieces, never inside a string', async () => {
    const { constraint } = await engine.compile(toolSpec([weather]));
    const c = await engine.start(constraint);
    const first = (await c.nextMask())!;
    expect(countAllowed(first, V)).toBe(1);
    expect(maskAllows(first, 48)).toBe(true);
    expect(await run(c, ids('<|tool_call>call:get_weather{city:<|"|>'))).toBe(true);
    const inString = (await c.nextMask())!;
    const specials = [...gv.sentinels.keys()].filter((id) => maskAllows(inString, id));
    expect(specials).toEqual([52]); // only the closing <|"|>
    expect(maskAllows(inString, 238 + 0x0e)).toBe(false);
  });

  it('named tool_choice allows only that tool; parallel_tool_calls false allows one call', async () => {
    const { constraint } = await engine.compile(toolSpec([weather, ping], { onlyTool: 'ping', parallel: false }));
    const c = await engine.start(constraint);
    expect(await run(c, ids('<|tool_call>call:get_weather'))).toBe(false);
    const d = await engine.start(constraint);
    expect(await run(d, ids('<|tool_call>call:ping{}<tool_call|>'))).toBe(true);
    const after = (await d.nextMask())!;
    expect(maskAllows(after, 48)).toBe(false);
    expect(STOP.every((s) => maskAllows(after, s))).toBe(true);
  });

  it('tool_choice auto: free text (no mask) until <|tool_call>, then the grammar', async () => {
    const { constraint } = await engine.compile(toolSpec([weather], { triggered: true }));
    const c = await engine.start(constraint);
    expect(await c.nextMask()).toBeUndefined();
    expect(await run(c, ids('The weather'))).toBe(true);
    expect(c.constrained).toBe(false);
    c.accept(48);
    expect(c.constrained).toBe(true);
    expect(await run(c, ids('call:get_weather{city:<|"|>x<|"|>}<tool_call|>'))).toBe(true);
    const e = await engine.start(constraint);
    expect(await run(e, ids('Hi <|tool_call>call:nope'))).toBe(false);
  });

  it('thinking stays unconstrained; the constraint starts after <channel|>', async () => {
    const { constraint } = await engine.compile(toolSpec([ping]));
    const c = await engine.start(constraint, { thinking: true });
    const first = (await c.nextMask())!;
    expect(maskAllows(first, 100) && maskAllows(first, 48)).toBe(true);
    c.accept(100);
    expect(await c.nextMask()).toBeUndefined();
    expect(await run(c, ids('thought\nanything <|"|> at all'))).toBe(true);
    c.accept(101);
    expect(await run(c, ids('<|tool_call>call:ping{}<tool_call|>'))).toBe(true);
    // Without a thought block the call must come first.
    const d = await engine.start(constraint, { thinking: true });
    expect(await run(d, ids('x'))).toBe(false);
  });

  it('compiles once per tool set (cached) and the first compile is what takes time', async () => {
    const tools = [{ ...weather, function: { ...weather.function, name: 'cache_probe' } }];
    const first = await engine.compile(toolSpec(tools));
    const again = await engine.compile(toolSpec(tools));
    expect(first.cached).toBe(false);
    expect(again.cached).toBe(true);
    expect(again.constraint).toBe(first.constraint);
  });

  it('schemas it cannot express are BAD_REQUEST naming the tool and field', async () => {
    const cases: [ToolDefinition, RegExp, string][] = [
      [{ type: 'function', function: { name: 'a', parameters: { type: 'object', properties: { x: { type: 'date' } } } } }, /unsupported type "date"/, 'tools[0].function.parameters.properties.x'],
      [{ type: 'function', function: { name: 'a', parameters: { type: 'object', properties: { x: { not: {} } } } } }, /unsupported keyword "not"/, 'tools[0].function.parameters.properties.x'],
      [{ type: 'function', function: { name: 'a', parameters: { type: 'object', properties: {}, required: ['y'] } } }, /required key "y"/, 'tools[0].function.parameters'],
      [{ type: 'function', function: { name: 'a', parameters: { type: 'object', properties: { 'a b': { type: 'string' } } } } }, /cannot be written bare/, 'tools[0].function.parameters'],
      [{ type: 'function', function: { name: 'a', parameters: { type: 'array' } } }, /must be an object schema/, 'tools[0].function.parameters'],
      [{ type: 'function', function: { name: 'bad name', parameters: {} } }, /call name/, 'tools[0].function.name'],
      [{ type: 'function', function: { name: 'a', parameters: { type: 'object', properties: { x: { $ref: '#/$defs/missing' } } } } }, /not defined/, 'tools[0].function.parameters.properties.x'],
      [{ type: 'function', function: { name: 'a', parameters: { type: 'object', properties: { x: { type: 'string', maxLength: -1 } } } } }, /non-negative integer/, 'tools[0].function.parameters.properties.x.maxLength'],
    ];
    for (const [tool, message, field] of cases) {
      const e = await engine.compile(toolSpec([tool])).catch((err: unknown) => err);
      expect(e, String(message)).toBeInstanceOf(ConstraintError);
      expect((e as ConstraintError).code).toBe('BAD_REQUEST');
      expect((e as ConstraintError).message).toMatch(message);
      expect((e as ConstraintError).details.field).toBe(field);
      if (field !== 'tools[0].function.name') expect((e as ConstraintError).details.tool).toBe('a');
    }
    const named = await engine.compile(toolSpec([weather], { onlyTool: 'nope' })).catch((err: unknown) => err);
    expect((named as ConstraintError).details.field).toBe('tool_choice.function.name');
  });
});

describe('response_format', () => {
  it('json_object with a schema: only JSON that matches, specials never inside strings', async () => {
    const schema = JSON.stringify({ type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string', maxLength: 3 } }, required: ['n'] });
    const { constraint } = await engine.compile({ kind: 'json', schema });
    const ok = await engine.start(constraint);
    expect(await run(ok, ids('{"n": 5, "s": "ab"}'))).toBe(true);
    const bad = await engine.start(constraint);
    expect(await run(bad, ids('{"s": "abcd"'))).toBe(false);
    const str = await engine.start(constraint);
    expect(await run(str, ids('{"n": 1, "s": "'))).toBe(true);
    const m = (await str.nextMask())!;
    expect([...gv.sentinels.keys()].filter((id) => maskAllows(m, id))).toEqual([]);
    // Raw control characters are not JSON (XGrammar's maxLength strings allowed them: repaired).
    expect(maskAllows(m, ids('\t')[0])).toBe(false);
    expect(maskAllows(m, 238 + 0x1c)).toBe(false);
    // High byte pieces stay out of constrained steps (whole-character pieces only).
    expect(gv.highByteIds.some((id) => maskAllows(m, id))).toBe(false);
    // Number digit runs are bounded, so output always ends.
    const long = await engine.start(constraint);
    expect(await run(long, ids('{"n": 1234567890123456'))).toBe(true);
    expect(maskAllows((await long.nextMask())!, ids('7')[0])).toBe(false);
  });

  it('grammar (EBNF) and structural_tag, with special-token text meaning the token', async () => {
    const g = await engine.compile({ kind: 'ebnf', grammar: 'root ::= "yes" | "no"' });
    const c = await engine.start(g.constraint);
    expect(await run(c, ids('no'))).toBe(true);
    expect(await run(await engine.start(g.constraint), ids('maybe'))).toBe(false);
    const tag = await engine.compile({
      kind: 'structural_tag',
      tag: { type: 'structural_tag', format: { type: 'triggered_tags', triggers: ['<|tool_call>'], tags: [{ begin: '<|tool_call>', content: { type: 'json_schema', json_schema: { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] } }, end: '<tool_call|>' }] } },
    });
    const t = await engine.start(tag.constraint);
    expect(await run(t, ids('hello <|tool_call>{"a": 1}<tool_call|>'))).toBe(true);
    expect(await run(await engine.start(tag.constraint), ids('hello <|tool_call>{"b"'))).toBe(false);
  });

  it('a grammar that cannot continue ends with DEAD_END, never a hang or an invented token', async () => {
    const { constraint } = await engine.compile({ kind: 'ebnf', grammar: 'root ::= "a" "\\x0e"' });
    const c = await engine.start(constraint);
    expect(await run(c, ids('a'))).toBe(true);
    await expect(c.nextMask()).rejects.toMatchObject({ code: 'DEAD_END' });
  });

  it('a grammar or schema XGrammar cannot compile is BAD_REQUEST naming the field', async () => {
    await expect(engine.compile({ kind: 'ebnf', grammar: 'root ::= ' })).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { field: 'response_format.grammar', name: 'InvalidResponseFormatGrammarError' } });
    await expect(engine.compile({ kind: 'json', schema: '{not json' })).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { field: 'response_format.schema' } });
  });
});

describe('constraintFromRequest', () => {
  const tools = [weather];
  it('maps tool_choice and parallel_tool_calls', () => {
    expect(constraintFromRequest({ tools })).toMatchObject({ kind: 'tool_calls', triggered: true, parallel: true });
    expect(constraintFromRequest({ tools, tool_choice: 'required', parallel_tool_calls: false })).toMatchObject({ triggered: false, parallel: false });
    expect(constraintFromRequest({ tools, tool_choice: { type: 'function', function: { name: 'get_weather' } } })).toMatchObject({ onlyTool: 'get_weather' });
    expect(constraintFromRequest({ tools, tool_choice: 'none' })).toBeUndefined();
    expect(constraintFromRequest({})).toBeUndefined();
    expect(constraintFromRequest({ response_format: { type: 'text' } })).toBeUndefined();
    expect(constraintFromRequest({ response_format: { type: 'json_object', schema: '{}' } })).toEqual({ kind: 'json', schema: '{}' });
  });

  it("rejects mismatched fields with web-llm's error names", () => {
    const cases: [Parameters<typeof constraintFromRequest>[0], string | undefined, string][] = [
      [{ response_format: { type: 'text', schema: '{}' } }, 'InvalidResponseFormatError', 'response_format.schema'],
      [{ response_format: { type: 'grammar' } }, 'InvalidResponseFormatGrammarError', 'response_format.grammar'],
      [{ response_format: { type: 'json_object', grammar: 'root ::= "a"' } }, 'InvalidResponseFormatGrammarError', 'response_format.grammar'],
      [{ response_format: { type: 'structural_tag' } }, 'InvalidResponseFormatStructuralTagError', 'response_format.structural_tag'],
      [{ response_format: { type: 'structural_tag', structural_tag: '{bad' } }, 'InvalidResponseFormatStructuralTagError', 'response_format.structural_tag'],
      [{ response_format: { type: 'yaml' } }, 'InvalidResponseFormatError', 'response_format.type'],
      [{ tool_choice: 'required' }, undefined, 'tool_choice'],
      [{ tools, tool_choice: 'sometimes' as never }, undefined, 'tool_choice'],
      [{ tools, tool_choice: 'required', response_format: { type: 'json_object' } }, undefined, 'response_format'],
      [{ tools, parallel_tool_calls: 'yes' as never }, undefined, 'parallel_tool_calls'],
    ];
    for (const [req, name, field] of cases) {
      let err: unknown;
      try {
        constraintFromRequest(req);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(req)).toBeInstanceOf(ConstraintError);
      expect((err as ConstraintError).code).toBe('BAD_REQUEST');
      expect((err as ConstraintError).details.field).toBe(field);
      expect((err as ConstraintError).details.name).toBe(name);
    }
  });
});
