import { describe, expect, it } from 'vitest';
import { BUILTIN_TOOLS, calculate, convertUnits } from './builtin-tools.js';

describe('calculator', () => {
  it.each([
    ['2 * (3 + 4)', 14],
    ['2^10', 1024],
    ['sqrt(16) + 1', 5],
    ['7 % 4', 3],
    ['5!', 120],
  ])('%s = %d', (e, v) => expect(calculate(e)).toBeCloseTo(v, 12));

  it.each([
    'x = 5',
    'f(x) = x',
    'constructor.constructor("alert(1)")()',
    '"a" || "b"',
    'this',
    '1 / 0',
    '',
  ])('rejects %j with an error, running nothing', (e) => {
    expect(() => calculate(e)).toThrow();
  });
});

describe('unit conversion', () => {
  it('converts within a dimension', () => {
    expect(convertUnits(1, 'mi', 'km')).toBeCloseTo(1.609344, 9);
    expect(convertUnits(100, 'C', 'F')).toBeCloseTo(212, 9);
    expect(convertUnits(0, 'K', 'C')).toBeCloseTo(-273.15, 9);
    expect(convertUnits(36, 'km/h', 'm/s')).toBeCloseTo(10, 9);
  });
  it('rejects unknown units and mixed dimensions with a clear message', () => {
    expect(() => convertUnits(1, 'parsec', 'm')).toThrow(/Unknown unit "parsec"/);
    expect(() => convertUnits(1, 'kg', 'm')).toThrow(/Cannot convert mass/);
  });
});

describe('tool declarations', () => {
  it('have unique names and object schemas', () => {
    const names = BUILTIN_TOOLS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const t of BUILTIN_TOOLS) expect(t.parameters).toMatchObject({ type: 'object' });
  });
  it('datetime answers with an ISO time', () => {
    const r = BUILTIN_TOOLS.find((t) => t.name === 'current_datetime')!.handler({}) as { iso: string };
    expect(Date.parse(r.iso)).toBeGreaterThan(0);
  });
});
