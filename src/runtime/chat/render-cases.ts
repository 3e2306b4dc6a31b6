// Test data: the spec's worked examples (§3.6) as conversations with the prompt the template renders, and tool
// schemas of every JSON-schema shape. Shared by the renderer tests and scripts/check-template.ts.
import { normalizeTool } from './schema.js';
import * as EX from './spec-examples.js';
import type { ChatMessage, RenderOptions, ToolDeclaration } from './types.js';

const weatherTool = (locationDescription: string, withUnit: boolean): ToolDeclaration =>
  normalizeTool({
    name: 'get_current_weather',
    description: 'Gets the current weather in a given location.',
    parameters: {
      type: 'object',
      properties: {
        location: { type: 'string', description: locationDescription },
        ...(withUnit ? { unit: { type: 'string', enum: ['celsius', 'fahrenheit'], description: 'Temperature unit.' } } : {}),
      },
      required: ['location'],
    },
  });

const flightsTool = normalizeTool({
  name: 'search_flights',
  description: 'Search flights.',
  parameters: {
    type: 'object',
    properties: {
      from: { type: 'string' },
      to: { type: 'string' },
      max_stops: { type: 'integer', description: 'Maximum number of stops.' },
      refundable: { type: 'boolean' },
      passengers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name'] } },
      options: { type: 'object', properties: { cabin: { type: 'string', enum: ['economy', 'business'] } } },
    },
    required: ['from', 'to'],
  },
});

const SYSTEM: ChatMessage = { role: 'system', content: 'You are a helpful assistant.' };
const tokyoCall = { id: 'c1', name: 'get_current_weather', arguments: { location: 'Tokyo, JP' } };
const seoulCall = { id: 'c1', name: 'get_current_weather', arguments: { location: 'Seoul, KR' } };
const sunny = { temperature: 15, weather: 'sunny' };

export interface Case {
  readonly name: string;
  readonly messages: ChatMessage[];
  readonly options: RenderOptions;
  readonly expected: string;
}

const ex1Tools = [weatherTool('The city and country, e.g. "Tokyo, JP"', true)];
const ex2Tools = [weatherTool('City and country, e.g. "Tokyo, JP"', false)];
const ex3Tools = [weatherTool('City and country, e.g. "Tokyo, JP"', false), flightsTool];
const ex3User: ChatMessage = {
  role: 'user',
  content: 'Weather in Paris and London, and find a refundable flight Paris->London for Ann (34) in business, max 1 stop.',
};
const ex3Calls = [
  { id: 'a', name: 'get_current_weather', arguments: { location: 'Paris, FR' } },
  { id: 'b', name: 'get_current_weather', arguments: { location: 'London, GB' } },
  {
    id: 'c',
    name: 'search_flights',
    arguments: { from: 'Paris', to: 'London', max_stops: 1, refundable: true, passengers: [{ name: 'Ann', age: 34 }], options: { cabin: 'business' } },
  },
];

/** Every worked example of spec §3.6, as messages, with the prompt the template renders. */
export const SPEC_CASES: Case[] = [
  { name: 'ex1 prompt 1', messages: [SYSTEM, { role: 'user', content: "What's the weather in Tokyo right now?" }], options: { tools: ex1Tools }, expected: EX.EX1_PROMPT1 },
  {
    name: 'ex1 prompt 2 (native tool_responses)',
    messages: [
      SYSTEM,
      { role: 'user', content: "What's the weather in Tokyo right now?" },
      { role: 'assistant', toolCalls: [tokyoCall], toolResponses: [{ name: 'get_current_weather', response: sunny }] },
    ],
    options: { tools: ex1Tools },
    expected: EX.EX1_PROMPT2,
  },
  {
    name: 'ex1 prompt 2 (OpenAI role tool, parsed JSON)',
    messages: [
      SYSTEM,
      { role: 'user', content: "What's the weather in Tokyo right now?" },
      { role: 'assistant', toolCalls: [tokyoCall] },
      { role: 'tool', toolCallId: 'c1', content: sunny },
    ],
    options: { tools: ex1Tools },
    expected: EX.EX1_PROMPT2,
  },
  {
    name: 'ex1 history for the next user turn',
    messages: [
      SYSTEM,
      { role: 'user', content: "What's the weather in Tokyo right now?" },
      { role: 'assistant', toolCalls: [tokyoCall] },
      { role: 'tool', toolCallId: 'c1', content: sunny },
      { role: 'assistant', content: 'It is 15 °C and sunny in Tokyo right now.' },
      { role: 'user', content: 'Thanks!' },
    ],
    options: { tools: ex1Tools },
    expected: EX.EX1_HISTORY,
  },
  {
    name: 'ex1 string tool result (value form)',
    messages: [
      SYSTEM,
      { role: 'user', content: "What's the weather in Tokyo right now?" },
      { role: 'assistant', toolCalls: [tokyoCall] },
      { role: 'tool', toolCallId: 'c1', content: '{"temperature": 15, "weather": "sunny"}' },
    ],
    options: { tools: ex1Tools },
    expected: EX.EX1_PROMPT2.replace(
      'response:get_current_weather{temperature:15,weather:<|"|>sunny<|"|>}',
      'response:get_current_weather{value:<|"|>{"temperature": 15, "weather": "sunny"}<|"|>}',
    ),
  },
  {
    name: 'ex2 prompt 1 (thinking)',
    messages: [SYSTEM, { role: 'user', content: 'Is it good weather for a run in Seoul now?' }],
    options: { tools: ex2Tools, enableThinking: true },
    expected: EX.EX2_PROMPT1,
  },
  {
    name: 'ex2 prompt 2 (thought kept inside the tool turn)',
    messages: [
      SYSTEM,
      { role: 'user', content: 'Is it good weather for a run in Seoul now?' },
      { role: 'assistant', reasoning: 'Need current weather for Seoul; call the tool.', toolCalls: [seoulCall], toolResponses: [{ name: 'get_current_weather', response: sunny }] },
    ],
    options: { tools: ex2Tools, enableThinking: true },
    expected: EX.EX2_PROMPT2,
  },
  {
    name: 'ex2 next user turn (thoughts dropped)',
    messages: [
      SYSTEM,
      { role: 'user', content: 'Is it good weather for a run in Seoul now?' },
      { role: 'assistant', reasoning: 'Need current weather for Seoul; call the tool.', toolCalls: [seoulCall], toolResponses: [{ name: 'get_current_weather', response: sunny }] },
      { role: 'assistant', reasoning: 'second reasoning', content: 'Yes - 15 °C and sunny, great for a run.' },
      { role: 'user', content: 'And tomorrow?' },
    ],
    options: { tools: ex2Tools, enableThinking: true },
    expected: EX.EX2_NEXT,
  },
  { name: 'ex3 prompt 1 (tools, no system prompt)', messages: [ex3User], options: { tools: ex3Tools }, expected: EX.EX3_PROMPT1 },
  {
    name: 'ex3 prompt 2 (three calls, three results)',
    messages: [
      ex3User,
      { role: 'assistant', toolCalls: ex3Calls },
      { role: 'tool', toolCallId: 'a', content: { temperature: 18, weather: 'cloudy' } },
      { role: 'tool', toolCallId: 'b', content: { temperature: 14, weather: 'rain' } },
      { role: 'tool', toolCallId: 'c', content: { flights: [{ id: 'AF1080', price: 189.5 }] } },
    ],
    options: { tools: ex3Tools },
    expected: EX.EX3_PROMPT2,
  },
  {
    name: 'minimal single turn (cheat sheet)',
    messages: [{ role: 'user', content: 'Hi' }],
    options: {},
    expected: '<bos><|turn>user\nHi<turn|>\n<|turn>model\n',
  },
];


/** Raw OpenAI `parameters` of every JSON-schema shape we could think of; each must normalise and render. */
export const RAW_SCHEMAS: { name: string; parameters: unknown }[] = [
  { name: 'no parameters', parameters: undefined },
  { name: 'empty object', parameters: { type: 'object', properties: {} } },
  { name: 'missing type on the root', parameters: { properties: { a: { type: 'string' } }, required: ['a'] } },
  { name: 'list-valued type', parameters: { type: 'object', properties: { a: { type: ['string', 'null'] }, b: { type: ['integer', 'string'] } } } },
  { name: 'anyOf with null', parameters: { type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'maybe' } } } },
  { name: 'oneOf of objects', parameters: { type: 'object', properties: { a: { oneOf: [{ type: 'object', properties: { x: { type: 'number' } } }, { type: 'string' }] } } } },
  { name: 'allOf merge', parameters: { allOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { properties: { b: { type: 'boolean' } }, required: ['b'] }] } },
  {
    name: 'nested objects and arrays of objects',
    parameters: {
      type: 'object',
      properties: {
        user: { type: 'object', properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } } }, required: ['name'] },
        rows: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' }, cells: { type: 'array', items: { type: 'array', items: { type: 'number' } } } } } },
      },
    },
  },
  { name: 'enums of strings, numbers and mixed', parameters: { type: 'object', properties: { s: { enum: ['x', 'y'] }, n: { enum: [1, 2] }, m: { enum: ['a', 1, null] }, c: { const: 'only' } } } },
  { name: 'object without properties, additionalProperties', parameters: { type: 'object', properties: { free: { type: 'object', additionalProperties: { type: 'string' } } } } },
  { name: 'array without items, tuple items', parameters: { type: 'object', properties: { a: { type: 'array' }, t: { type: 'array', items: [{ type: 'string' }, { type: 'number' }] } } } },
  {
    name: 'local $ref and $defs',
    parameters: { type: 'object', $defs: { P: { type: 'object', properties: { x: { type: 'number' } } } }, properties: { p: { $ref: '#/$defs/P' }, q: { $ref: '#/nope' } } },
  },
  { name: 'recursive $ref', parameters: { type: 'object', properties: { node: { $ref: '#' } } } },
  { name: 'dropped keys (default, minimum, format, pattern)', parameters: { type: 'object', properties: { d: { type: 'string', format: 'date', pattern: '^x', default: 'x' }, n: { type: 'integer', minimum: 0, maximum: 9 } } } },
  { name: 'keys needing case-insensitive sort', parameters: { type: 'object', properties: { b: { type: 'string' }, A: { type: 'string' }, a: { type: 'string' }, _z: { type: 'string' } } } },
  { name: 'nullable flag and null type only', parameters: { type: 'object', properties: { a: { type: 'string', nullable: true }, b: { type: 'null' } } } },
  { name: 'descriptions with quotes and markers', parameters: { type: 'object', description: 'root', properties: { q: { type: 'string', description: 'say "hi" <|"|> \\ back' } } } },
  { name: 'boolean schemas', parameters: { type: 'object', properties: { any: true, none: false } } },
];

export const SCHEMA_CASES: Case[] = RAW_SCHEMAS.map(({ name, parameters }) => ({
  name,
  messages: [{ role: 'user', content: 'Use the tool.' }],
  options: { tools: [normalizeTool({ name: 'tool_x', description: `Shape: ${name}.`, parameters })] },
  expected: '',
}));
