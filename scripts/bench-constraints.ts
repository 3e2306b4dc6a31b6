// npx tsx scripts/bench-constraints.ts [--requests N] [--tokens N]
// Constrained decoding costs, printed as JSON:
//  1. Grammar compile times on the real 262,144-token Gemma 4 vocabulary: the first constrained request (XGrammar
//     load + vocabulary preprocessing + compile), another tool set (compile only), and the cached repeat; for a
//     3-tool set and for a JSON schema.
//  2. Grammar work per token on the real vocabulary (mask + accept), replaying a tool call and a JSON answer.
//  3. Per-token time with and without a constraint, side by side in one run, on the tiny random-weight fixture
//     (CPU reference forward + CPU sampler; the same prompts and seeds).
import { parseArgs } from 'node:util';
import { GgmlType } from '../src/gguf/types.js';
import { resolveSamplingParams } from '../src/runtime/sampling-params.js';
import { GrammarEngine, type ConstraintSpec } from '../src/runtime/constraints/grammar-engine.js';
import { buildGrammarVocabulary } from '../src/runtime/constraints/grammar-vocabulary.js';
import type { ToolDefinition } from '../src/runtime/constraints/gemma-tool-grammar.js';
import { Tokenizer } from '../src/runtime/tokenizer/tokenizer.js';
import { vocabFromGguf } from '../src/runtime/tokenizer/tokenizer-gguf.js';
import { STOP_IDS, generateOnCpu } from './constrained-cpu.js';
import { SHAPES, uniformMix } from './fixtures/gemma-fixture.js';
import { buildReferenceModel } from './fixtures/load-fixture.js';
import { gemma4VocabFromLenml } from './vocab-from-lenml.js';
import { nodeXGrammarLoader } from './xgrammar-node.js';

const fn = (name: string, parameters: Record<string, unknown>): ToolDefinition => ({ type: 'function', function: { name, parameters } });
const TOOLS_A: ToolDefinition[] = [
  fn('get_weather', { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['location'] }),
  fn('search_flights', {
    type: 'object',
    properties: {
      from: { type: 'string' },
      to: { type: 'string' },
      max_stops: { type: 'integer' },
      refundable: { type: 'boolean' },
      passengers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name'] } },
      options: { type: 'object', properties: { cabin: { type: 'string', enum: ['economy', 'business'] } } },
    },
    required: ['from', 'to'],
  }),
  fn('set_temperature', { type: 'object', properties: { value: { type: 'number' }, room: { type: 'string', enum: ['kitchen', 'hall'] } }, required: ['value'] }),
];
const TOOLS_B = TOOLS_A.map((t) => ({ ...t, function: { ...t.function, name: t.function.name + '_v2' } }));
const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { name: { type: 'string', maxLength: 40 }, age: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } }, address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'string' } }, required: ['city'] } },
  required: ['name', 'age'],
});
const SCHEMA_B = SCHEMA.replace('"name"', '"full_name"').replace('["name"', '["full_name"');

const tools = (t: ToolDefinition[]): ConstraintSpec => ({ kind: 'tool_calls', tools: t, parallel: true, triggered: false });
const round = (x: number, d = 4) => Number(x.toFixed(d));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '20' }, tokens: { type: 'string', default: '64' } } });
  const requests = Number(values.requests);
  const maxTokens = Number(values.tokens);

  // 1. Compile times on the real vocabulary.
  const real = gemma4VocabFromLenml();
  const realTok = Tokenizer.fromVocab(real);
  const tv = performance.now();
  const gv = buildGrammarVocabulary(real, STOP_IDS);
  const vocabViewS = (performance.now() - tv) / 1000;
  const engine = new GrammarEngine(gv, nodeXGrammarLoader);
  const first = await engine.compile(tools(TOOLS_A));
  const otherTools = await engine.compile(tools(TOOLS_B));
  const cachedTools = await engine.compile(tools(TOOLS_A));
  const json = await engine.compile({ kind: 'json', schema: SCHEMA });
  const otherJson = await engine.compile({ kind: 'json', schema: SCHEMA_B });
  const cachedJson = await engine.compile({ kind: 'json', schema: SCHEMA });

  // 2. Grammar work per token on the real vocabulary, replaying outputs.
  const replay = async (spec: ConstraintSpec, text: string) => {
    const ids = realTok.encode(text, { parseSpecial: true });
    const c = await engine.start((await engine.compile(spec)).constraint);
    const t0 = performance.now();
    for (const id of ids) {
      await c.nextMask();
      c.accept(id);
    }
    const ms = (performance.now() - t0) / ids.length;
    c.dispose();
    return { tokens: ids.length, msPerToken: round(ms, 3), constraintMsPerToken: round(c.secondsPerToken * 1000, 3) };
  };
  const callReplay = await replay(
    tools(TOOLS_A),
    '<|tool_call>call:search_flights{from:<|"|>Paris<|"|>,max_stops:1,options:{cabin:<|"|>business<|"|>},passengers:[{age:34,name:<|"|>Ann<|"|>}],refundable:true,to:<|"|>London<|"|>}<tool_call|>',
  );
  const jsonReplay = await replay({ kind: 'json', schema: SCHEMA }, '{"name": "Ann Smith", "age": 34, "tags": ["a", "b"], "address": {"city": "Paris", "zip": "75001"}}');

  // 3. With vs without a constraint on the tiny fixture, same prompts and seeds, in one run.
  const model = await buildReferenceModel({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.F32), seed: 2024 });
  const tinyEngine = new GrammarEngine(buildGrammarVocabulary(vocabFromGguf(model.header), STOP_IDS), nodeXGrammarLoader);
  const spec = tools(TOOLS_A.map((t) => ({ ...t, function: { ...t.function, parameters: JSON.parse(JSON.stringify(t.function.parameters).replace(/"type":"string"/g, '"type":"string","maxLength":8')) } })));
  const compiled = (await tinyEngine.compile(spec)).constraint;
  const side = { constrained: { tokens: 0, seconds: 0, constraintSeconds: 0 }, free: { tokens: 0, seconds: 0, constraintSeconds: 0 } };
  for (let r = 0; r < requests; r++) {
    const prompt = [2, 105, 494 + (r % 90), 500 + ((r * 7) % 80), 106, 107, 105];
    const params = resolveSamplingParams({ temperature: 1, topK: 64, topP: 0.95, seed: r });
    for (const mode of ['free', 'constrained'] as const) {
      const c = mode === 'constrained' ? await tinyEngine.start(compiled) : undefined;
      const t0 = performance.now();
      const g = await generateOnCpu(model, prompt, params, maxTokens, c);
      side[mode].seconds += (performance.now() - t0) / 1000;
      side[mode].tokens += g.tokens.length;
      side[mode].constraintSeconds += g.constraintSeconds;
      c?.dispose();
    }
  }
  const perToken = (s: { tokens: number; seconds: number }) => round((s.seconds / s.tokens) * 1000, 3);

  console.log(
    JSON.stringify(
      {
        realVocabulary: {
          vocabSize: gv.vocabSize,
          vocabularyViewS: round(vocabViewS),
          threeToolSet: { firstRequestS: round(first.seconds), anotherToolSetS: round(otherTools.seconds), cachedS: round(cachedTools.seconds, 6) },
          jsonSchema: { firstS: round(json.seconds), anotherSchemaS: round(otherJson.seconds), cachedS: round(cachedJson.seconds, 6) },
          grammarPerToken: { toolCall: callReplay, json: jsonReplay },
        },
        tinyFixtureSideBySide: {
          requests,
          maxTokens,
          unconstrainedMsPerToken: perToken(side.free),
          constrainedMsPerToken: perToken(side.constrained),
          constraintMsPerToken: round((side.constrained.constraintSeconds / side.constrained.tokens) * 1000, 3),
          tokens: { unconstrained: side.free.tokens, constrained: side.constrained.tokens },
        },
      },
      null,
      2,
    ),
  );
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
