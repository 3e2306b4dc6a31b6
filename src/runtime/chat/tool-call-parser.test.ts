// The tool-call body parser on the spec's outputs and on malformed ones (spec §3.4-3.5 fallbacks).
import { describe, expect, it } from 'vitest';
import { CallSyntaxError, QUOTE as Q, parseToolCall } from './tool-call-parser.js';

const q = (s: string) => s.replaceAll('<|"|>', Q);

describe('parseToolCall', () => {
  it.each([
    ['call:get_current_weather{location:<|"|>Tokyo, JP<|"|>}', 'get_current_weather', { location: 'Tokyo, JP' }],
    [
      'call:search_flights{from:<|"|>Paris<|"|>,max_stops:1,options:{cabin:<|"|>business<|"|>},passengers:[{age:34,name:<|"|>Ann<|"|>}],refundable:true,to:<|"|>London<|"|>}',
      'search_flights',
      { from: 'Paris', max_stops: 1, options: { cabin: 'business' }, passengers: [{ age: 34, name: 'Ann' }], refundable: true, to: 'London' },
    ],
    ['call:multiply{a:3,b:4}', 'multiply', { a: 3, b: 4 }],
    ['call:f{}', 'f', {}],
    ['call:f{x:null,y:none,z:-1.5e3,w:false}', 'f', { x: null, y: null, z: -1500, w: false }],
    ['call:f{s:<|"|>1<|"|>}', 'f', { s: '1' }],
    ['call:my-tool.v2{path:<|"|>C:\\dir\\file<|"|>}', 'my-tool.v2', { path: 'C:\\dir\\file' }],
    ['call:f{code:<|"|>a "quoted" {brace}, [x]\nline2<|"|>}', 'f', { code: 'a "quoted" {brace}, [x]\nline2' }],
  ])('parses %s', (body, name, args) => {
    const p = parseToolCall(q(body));
    expect(p.name).toBe(name);
    expect(p.arguments).toEqual(args);
    expect(p.repairs).toEqual([]);
  });

  it.each([
    ['missing final brace', 'call:f{a:<|"|>x<|"|>', { a: 'x' }],
    ['unterminated string at the end', 'call:f{a:<|"|>x y}', { a: 'x y' }],
    ['raw double quotes', 'call:f{a:"x, \\"y\\""}', { a: 'x, "y"' }],
    ['single quotes', "call:f{a:'x'}", { a: 'x' }],
    ['no call: prefix', 'f{a:1}', { a: 1 }],
    ['missing array bracket', 'call:f{a:[1,2}', { a: [1, 2] }],
  ])('repairs %s', (_name, body, args) => {
    const p = parseToolCall(q(body));
    expect(p.arguments).toEqual(args);
    expect(p.repairs.length).toBeGreaterThan(0);
  });

  it.each([
    ['spaces after : and ,', 'call:f{a: 1, b: <|"|>t<|"|>}', { a: 1, b: 't' }],
    ['a bare word as a string', 'call:f{city:Tokyo}', { city: 'Tokyo' }],
  ])('accepts %s as is', (_name, body, args) => {
    expect(parseToolCall(q(body)).arguments).toEqual(args);
  });

  it('rejects a body that names no tool', () => {
    expect(() => parseToolCall('call:{a:1}')).toThrow(CallSyntaxError);
    expect(() => parseToolCall('hello world')).toThrow(CallSyntaxError);
    expect(() => parseToolCall('')).toThrow(CallSyntaxError);
  });
});
