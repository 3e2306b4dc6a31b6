// Tool-schema normalisation (spec §3.1): every shape in RAW_SCHEMAS becomes single upper-case types with nullable,
// type always present, and renders without a throw; bad tool names and non-object parameters are typed errors.
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors.js';
import { renderGemmaPrompt, segmentsText } from './gemma-format.js';
import { RAW_SCHEMAS } from './render-cases.js';
import { normalizeSchema, normalizeTool } from './schema.js';
import type { ToolSchema } from './types.js';

function walk(s: ToolSchema, f: (s: ToolSchema) => void): void {
  f(s);
  if (s.items) walk(s.items, f);
  for (const p of Object.values(s.properties ?? {})) walk(p, f);
}

describe('normalizeTool', () => {
  it.each(RAW_SCHEMAS)('$name: normalises and renders', ({ parameters }) => {
    const tool = normalizeTool({ name: 'tool_x', description: 'd', parameters });
    if (tool.parameters) {
      expect(tool.parameters.type).toBe('OBJECT');
      walk(tool.parameters, (s) => expect(['STRING', 'INTEGER', 'NUMBER', 'BOOLEAN', 'ARRAY', 'OBJECT']).toContain(s.type));
    }
    const text = segmentsText(renderGemmaPrompt([{ role: 'user', content: 'x' }], { tools: [tool] }));
    expect(text).toMatch(/^<bos><\|turn>system\n<\|tool>declaration:tool_x\{description:<\|"\|>d<\|"\|>.*\}<tool\|><turn\|>\n/s);
    expect(text.split('{').length).toBe(text.split('}').length); // balanced braces
  });

  it('flattens list types and anyOf into one type plus nullable', () => {
    expect(normalizeSchema({ type: ['string', 'null'] })).toEqual({ type: 'STRING', nullable: true });
    expect(normalizeSchema({ anyOf: [{ type: 'integer' }, { type: 'null' }], description: 'n' })).toEqual({ type: 'INTEGER', description: 'n', nullable: true });
    expect(normalizeSchema({ enum: ['a', 'b'] })).toEqual({ type: 'STRING', enum: ['a', 'b'] });
    expect(normalizeSchema({ properties: { a: { type: 'string' } }, required: ['a', 'a'] })).toEqual({ type: 'OBJECT', properties: { a: { type: 'STRING' } }, required: ['a'] });
  });

  it('rejects unusable tool names and non-object parameters with BAD_TOOL', () => {
    for (const bad of [{ name: 'has space' }, { name: '' }, { name: '<|turn>' }, { name: 'f', parameters: { type: 'string' } }, { name: 'f', parameters: [] }]) {
      expect(() => normalizeTool(bad)).toThrow(RuntimeError);
    }
  });
});
