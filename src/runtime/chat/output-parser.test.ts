// The output parser on token ids: the spec's model outputs (thought, single and parallel calls), content before a
// call, and the malformed cases (undeclared tool, unparsable call, unterminated call, tool_choice none).
import { describe, expect, it } from 'vitest';
import { fixtureTokenizer } from '../../../test/fake-generator.js';
import { GemmaOutputParser, markersOf } from './output-parser.js';
import * as EX from './spec-examples.js';

const tok = fixtureTokenizer();
const STOPS = new Set(tok.stopIds);

/** Parses generated text as the session would hand it over: ids up to (not including) the first stop id. */
function parse(text: string, tools = ['get_current_weather', 'search_flights'], callsAllowed = true) {
  const p = new GemmaOutputParser(tok, markersOf(tok), { tools: new Set(tools), callsAllowed });
  const events = [];
  for (const id of tok.encode(text)) {
    if (STOPS.has(id)) break;
    events.push(...p.push(id));
  }
  events.push(...p.finish());
  const content = events.filter((e) => e.channel === 'content').map((e) => e.text).join('');
  const reasoning = events.filter((e) => e.channel === 'reasoning').map((e) => e.text).join('');
  return { content, reasoning, calls: p.calls, warnings: p.warnings.map((w) => w.code) };
}

describe('GemmaOutputParser', () => {
  it('example 1: one call', () => {
    expect(parse(EX.EX1_OUTPUT)).toEqual({ content: '', reasoning: '', calls: [{ name: 'get_current_weather', arguments: { location: 'Tokyo, JP' } }], warnings: [] });
  });

  it('example 2: a thought, then a call; the thought label is dropped', () => {
    const r = parse(EX.EX2_OUTPUT);
    expect(r.reasoning).toBe('Need current weather for Seoul; call the tool.');
    expect(r.content).toBe('');
    expect(r.calls).toEqual([{ name: 'get_current_weather', arguments: { location: 'Seoul, KR' } }]);
  });

  it('example 3: three parallel calls with nested arguments', () => {
    const r = parse(EX.EX3_OUTPUT);
    expect(r.calls.map((c) => c.name)).toEqual(['get_current_weather', 'get_current_weather', 'search_flights']);
    expect(JSON.stringify(r.calls[2].arguments)).toBe(
      '{"from":"Paris","max_stops":1,"options":{"cabin":"business"},"passengers":[{"age":34,"name":"Ann"}],"refundable":true,"to":"London"}',
    );
  });

  it('keeps a sentence before the call as content, and plain answers as content', () => {
    const r = parse('Let me check.<|tool_call>call:get_current_weather{location:<|"|>Oslo<|"|>}<tool_call|><|tool_response>');
    expect(r.content).toBe('Let me check.');
    expect(r.calls).toHaveLength(1);
    expect(parse('It is 15 °C and sunny.<turn|>')).toEqual({ content: 'It is 15 °C and sunny.', reasoning: '', calls: [], warnings: [] });
  });

  it('a call ended by <turn|> (a stop id) or by the end of generation still parses', () => {
    expect(parse('<|tool_call>call:get_current_weather{location:<|"|>Rome<|"|>}<turn|>').calls).toEqual([
      { name: 'get_current_weather', arguments: { location: 'Rome' } },
    ]);
    const cut = parse('<|tool_call>call:get_current_weather{location:<|"|>Rome');
    expect(cut.calls[0].arguments).toEqual({ location: 'Rome' });
    expect(cut.warnings).toEqual(['REPAIRED_TOOL_CALL']);
  });

  it('an undeclared tool, an unparsable call and calls under tool_choice none come back as content', () => {
    const undeclared = parse('<|tool_call>call:rm_rf{path:<|"|>/<|"|>}<tool_call|>');
    expect(undeclared.calls).toEqual([]);
    expect(undeclared.content).toBe('<|tool_call>call:rm_rf{path:<|"|>/<|"|>}<tool_call|>');
    expect(undeclared.warnings).toEqual(['UNDECLARED_TOOL']);
    const garbage = parse('<|tool_call>{{{<tool_call|>');
    expect(garbage.calls).toEqual([]);
    expect(garbage.warnings).toEqual(['UNPARSABLE_TOOL_CALL']);
    const none = parse(EX.EX1_OUTPUT, ['get_current_weather'], false);
    expect(none.calls).toEqual([]);
    expect(none.warnings).toEqual(['TOOL_CALLS_DISABLED']);
  });

  it('a thought without the label keeps all its text; stray closers are ignored', () => {
    expect(parse('<|channel>hmm<channel|>ok<tool_call|>')).toMatchObject({ reasoning: 'hmm', content: 'ok' });
  });
});
