// What constrained decoding is for, shown where the model left to itself never writes a valid call: a random-weight
// tiny fixture on the CPU reference forward, the CPU sampler with the constraint's mask. 50 seeded requests over tool
// schemas of every shape (nested objects, arrays, enums, integer vs number, optional keys, anyOf, $ref, several
// tools), tool_choice required or named, greedy and sampled: every request that finishes within max_tokens produces
// calls the parser accepts whose arguments validate against the tool's schema (ajv), and at least 45 of 50 finish.
// json_object with a schema likewise. Without the constraint the same requests produce no valid call.
import Ajv from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { STOP_IDS, generateOnCpu } from '../../../scripts/constrained-cpu.js';
import { SHAPES, uniformMix } from '../../../scripts/fixtures/gemma-fixture.js';
import { buildReferenceModel } from '../../../scripts/fixtures/load-fixture.js';
import { nodeXGrammarLoader } from '../../../scripts/xgrammar-node.js';
import { GgmlType } from '../../gguf/types.js';
import { resolveSamplingParams, type SamplingParams } from '../sampling-params.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { vocabFromGguf } from '../tokenizer/tokenizer-gguf.js';
import { GrammarEngine, type ConstraintSpec } from './grammar-engine.js';
import { buildGrammarVocabulary } from './grammar-vocabulary.js';
import type { ToolDefinition } from './gemma-tool-grammar.js';
import { GemmaOutputParser, markersOf } from '../chat/output-parser.js';

type Model = Awaited<ReturnType<typeof buildReferenceModel>>;
let model: Model;
let tokenizer: Tokenizer;
let engine: GrammarEngine;

beforeAll(async () => {
  model = await buildReferenceModel({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.F32), seed: 2024 });
  tokenizer = Tokenizer.fromGguf(model.header);
  engine = new GrammarEngine(buildGrammarVocabulary(vocabFromGguf(model.header), STOP_IDS), nodeXGrammarLoader);
}, 120_000);

const fn = (name: string, parameters?: Record<string, unknown>): ToolDefinition => ({ type: 'function', function: { name, parameters } });

const weather = fn('get_weather', {
  type: 'object',
  properties: { location: { type: 'string', maxLength: 12 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
  required: ['location'],
});
const flights = fn('search_flights', {
  type: 'object',
  properties: {
    from: { type: 'string', maxLength: 6 },
    to: { type: 'string', maxLength: 6 },
    max_stops: { type: 'integer' },
    refundable: { type: 'boolean' },
    passengers: { type: 'array', maxItems: 2, items: { type: 'object', properties: { name: { type: 'string', maxLength: 5 }, age: { type: 'integer' } }, required: ['name'] } },
    options: { type: 'object', properties: { cabin: { type: 'string', enum: ['economy', 'business'] } } },
  },
  required: ['from', 'to'],
});
const thermostat = fn('set_temperature', {
  type: 'object',
  properties: { value: { type: 'number' }, room: { enum: ['kitchen', 'hall', 3] }, note: { type: 'string', maxLength: 4, nullable: true } },
  required: ['value', 'room'],
});
const lookup = fn('lookup', {
  type: 'object',
  properties: {
    id: { anyOf: [{ type: 'integer' }, { type: 'string', maxLength: 4 }] },
    tags: { type: 'array', items: { type: 'string', enum: ['a', 'b', 'c'] }, minItems: 1, maxItems: 3 },
    matrix: { type: 'array', maxItems: 2, items: { type: 'array', maxItems: 2, items: { type: 'number' } } },
  },
  required: ['id', 'tags'],
});
const configure = fn('configure', {
  type: 'object',
  $defs: { point: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'integer' } }, required: ['x', 'y'] } },
  properties: {
    level: { type: 'integer' },
    mode: { const: 'fast' },
    extra: { type: ['string', 'null'], maxLength: 3 },
    origin: { $ref: '#/$defs/point' },
    nested: { type: 'object', properties: { deep: { type: 'object', properties: { flag: { type: 'boolean' } }, required: ['flag'] } }, required: ['deep'] },
  },
  required: ['nested', 'origin'],
});
const ping = fn('ping');

const TOOL_SETS: ToolDefinition[][] = [[weather], [flights], [thermostat, ping], [lookup], [configure], [weather, flights, thermostat], [ping, lookup, configure]];

const ajv = new Ajv({ strict: false, allErrors: true });
const validators = new Map<string, ReturnType<Ajv['compile']>>();
function validatorFor(tool: ToolDefinition) {
  let v = validators.get(tool.function.name);
  if (!v) {
    v = ajv.compile(tool.function.parameters ?? { type: 'object', maxProperties: 0 });
    validators.set(tool.function.name, v);
  }
  return v;
}

/** A different short prompt per seed (ordinary ids of the fixture vocabulary). */
function promptFor(seed: number): number[] {
  let x = seed * 2654435761;
  const ids = [2, 105];
  for (let i = 0; i < 6; i++) {
    x = (Math.imul(x ^ (x >>> 13), 1274126177) + 7) >>> 0;
    ids.push(494 + (x % 100));
  }
  return [...ids, 106, 107, 105];
}

interface Counts {
  finished: number;
  valid: number;
  invalid: string[];
  tokens: number;
  forwardSeconds: number;
  constraintSeconds: number;
}

async function runToolRequests(params: (seed: number) => SamplingParams, constrained: boolean, maxTokens = 160): Promise<Counts> {
  const counts: Counts = { finished: 0, valid: 0, invalid: [], tokens: 0, forwardSeconds: 0, constraintSeconds: 0 };
  for (let seed = 0; seed < 50; seed++) {
    const tools = TOOL_SETS[seed % TOOL_SETS.length];
    const named = seed % 3 === 2 ? tools[seed % tools.length].function.name : undefined;
    const spec: ConstraintSpec = { kind: 'tool_calls', tools, onlyTool: named, parallel: seed % 2 === 0, triggered: false };
    const c = constrained ? await engine.start((await engine.compile(spec)).constraint) : undefined;
    const g = await generateOnCpu(model, promptFor(seed), params(seed), maxTokens, c);
    c?.dispose();
    counts.tokens += g.tokens.length;
    counts.forwardSeconds += g.forwardSeconds;
    counts.constraintSeconds += g.constraintSeconds;
    if (!g.finished) continue;
    counts.finished++;
    const problem = checkCalls(g.tokens, tools, named, spec.kind === 'tool_calls' && spec.parallel);
    if (problem) counts.invalid.push(`seed ${seed}: ${problem}`);
    else counts.valid++;
  }
  return counts;
}

function checkCalls(tokens: number[], tools: ToolDefinition[], named: string | undefined, parallel: boolean): string | undefined {
  const body = tokens.filter((t) => !STOP_IDS.includes(t));
  // The chat-completions output parser, as create() uses it: calls it cannot parse (or had to repair) come back as
  // content with a warning, so a valid call means no warning and no content.
  const parser = new GemmaOutputParser(tokenizer, markersOf(tokenizer), { tools: new Set(tools.map((t) => t.function.name)), callsAllowed: true });
  for (const t of body) parser.push(t);
  parser.finish();
  if (parser.warnings.length > 0) return `parser: ${parser.warnings.map((w) => `${w.code} ${w.message}`).join('; ')}: ${tokenizer.decode(body)}`;
  if (parser.content.trim() !== '') return `content besides the calls: ${JSON.stringify(parser.content)}`;
  const calls = parser.calls;
  if (calls.length === 0) return `no call: ${tokenizer.decode(body)}`;
  if (!parallel && calls.length > 1) return `${calls.length} calls with parallel_tool_calls false`;
  for (const call of calls) {
    const tool = tools.find((t) => t.function.name === call.name);
    if (!tool) return `undeclared tool ${call.name}`;
    if (named && call.name !== named) return `called ${call.name}, tool_choice named ${named}`;
    const validate = validatorFor(tool);
    if (!validate(call.arguments)) return `${call.name} ${JSON.stringify(call.arguments)}: ${ajv.errorsText(validate.errors)}`;
  }
  return undefined;
}

const greedy = () => resolveSamplingParams({ temperature: 0 });
const sampled = (seed: number) => resolveSamplingParams({ temperature: 1, topK: 64, topP: 0.95, seed: 1000 + seed });

describe('tool calls on a random-weight model: 50 seeded requests', () => {
  it.each([
    ['greedy', greedy],
    ['sampled (temperature 1, top-k 64, top-p 0.95)', sampled],
  ] as const)('%s: every finished request is a valid call, >= 45/50 finish', async (name, params) => {
    const c = await runToolRequests(params, true);
    console.log(`tool calls ${name}: ${c.finished}/50 finished within 160 tokens, ${c.valid}/${c.finished} valid, ${c.tokens} tokens, forward ${c.forwardSeconds.toFixed(1)} s, constraint ${c.constraintSeconds.toFixed(1)} s`);
    expect(c.invalid).toEqual([]);
    expect(c.valid).toBe(c.finished);
    expect(c.finished).toBeGreaterThanOrEqual(45);
  }, 600_000);

  it('without the constraint the same model writes no valid call', async () => {
    // 32 tokens: about three times the shortest valid call; left to itself the model stops or rambles without one.
    const c = await runToolRequests(sampled, false, 32);
    console.log(`unconstrained: ${c.valid}/50 valid`);
    expect(c.valid).toBe(0);
  }, 600_000);
});

describe('json_object with a schema on a random-weight model: 50 seeded requests', () => {
  const schemas = [
    { type: 'object', properties: { name: { type: 'string', maxLength: 8 }, age: { type: 'integer' }, score: { type: 'number' } }, required: ['name', 'age'] },
    { type: 'object', properties: { tags: { type: 'array', items: { type: 'string', enum: ['x', 'y'] }, maxItems: 3 }, ok: { type: 'boolean' }, sub: { type: 'object', properties: { v: { type: 'null' } }, required: ['v'] } }, required: ['ok', 'sub'] },
  ];
  it.each([
    ['greedy', greedy],
    ['sampled', sampled],
  ] as const)('%s: every finished output is JSON that validates, >= 45/50 finish', async (name, params) => {
    let finished = 0;
    const invalid: string[] = [];
    for (let seed = 0; seed < 50; seed++) {
      const schema = schemas[seed % schemas.length];
      const { constraint } = await engine.compile({ kind: 'json', schema: JSON.stringify(schema) });
      const c = await engine.start(constraint);
      const g = await generateOnCpu(model, promptFor(seed + 77), params(seed), 160, c);
      c.dispose();
      if (!g.finished) continue;
      finished++;
      const text = tokenizer.decode(g.tokens.filter((t) => !STOP_IDS.includes(t)));
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        invalid.push(`seed ${seed}: not JSON (${(e as Error).message}): ${text}`);
        continue;
      }
      const validate = ajv.compile(schema);
      if (!validate(value)) invalid.push(`seed ${seed}: ${text}: ${ajv.errorsText(validate.errors)}`);
    }
    console.log(`json_object ${name}: ${finished}/50 finished, ${finished - invalid.length}/${finished} valid`);
    expect(invalid).toEqual([]);
    expect(finished).toBeGreaterThanOrEqual(45);
  }, 600_000);
});
