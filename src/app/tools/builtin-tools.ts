// The three demo tools the model can call: a calculator (a real expression parser, never eval), the current date
// and time, and unit conversion. Each is a declaration (JSON schema) plus a handler that returns JSON-able data.
import { Parser } from 'expr-eval-fork';
import type { ChatTool } from '../../embed/gemma-chat.js';

// Arithmetic and math functions only: no assignment, no function definitions, no member access.
const parser = new Parser({
  operators: {
    assignment: false, fndef: false, logical: false, comparison: false, conditional: false, in: false, concatenate: false,
    add: true, subtract: true, multiply: true, divide: true, remainder: true, power: true, factorial: true,
  },
});

export function calculate(expression: string): number {
  if (typeof expression !== 'string' || !expression.trim()) throw new Error('Give an arithmetic expression, e.g. "2 * (3 + 4)".');
  if (expression.length > 500) throw new Error('The expression is too long (at most 500 characters).');
  const value = parser.evaluate(expression);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`"${expression}" does not evaluate to a finite number.`);
  return value;
}

type Unit = { dim: string; factor: number; offset?: number };
const UNITS: Record<string, Unit> = {
  m: { dim: 'length', factor: 1 }, km: { dim: 'length', factor: 1000 }, cm: { dim: 'length', factor: 0.01 }, mm: { dim: 'length', factor: 0.001 },
  mi: { dim: 'length', factor: 1609.344 }, yd: { dim: 'length', factor: 0.9144 }, ft: { dim: 'length', factor: 0.3048 }, in: { dim: 'length', factor: 0.0254 },
  kg: { dim: 'mass', factor: 1 }, g: { dim: 'mass', factor: 0.001 }, lb: { dim: 'mass', factor: 0.45359237 }, oz: { dim: 'mass', factor: 0.028349523125 },
  l: { dim: 'volume', factor: 1 }, ml: { dim: 'volume', factor: 0.001 }, gal: { dim: 'volume', factor: 3.785411784 },
  c: { dim: 'temperature', factor: 1, offset: 0 }, f: { dim: 'temperature', factor: 5 / 9, offset: -32 * (5 / 9) }, k: { dim: 'temperature', factor: 1, offset: -273.15 },
  'km/h': { dim: 'speed', factor: 1 / 3.6 }, 'm/s': { dim: 'speed', factor: 1 }, mph: { dim: 'speed', factor: 0.44704 },
};

export function convertUnits(value: number, from: string, to: string): number {
  const a = UNITS[String(from).toLowerCase()];
  const b = UNITS[String(to).toLowerCase()];
  if (!a || !b) throw new Error(`Unknown unit "${a ? to : from}". Known: ${Object.keys(UNITS).join(', ')}.`);
  if (a.dim !== b.dim) throw new Error(`Cannot convert ${a.dim} (${from}) to ${b.dim} (${to}).`);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error('value must be a finite number.');
  const base = value * a.factor + (a.offset ?? 0);
  return (base - (b.offset ?? 0)) / b.factor;
}

export const BUILTIN_TOOLS: readonly ChatTool[] = [
  {
    name: 'calculator',
    description: 'Evaluates an arithmetic expression (+ - * / % ^ !, parentheses, sqrt, sin, cos, log, ...) and returns the number.',
    parameters: { type: 'object', properties: { expression: { type: 'string', description: 'e.g. "2 * (3 + 4)"' } }, required: ['expression'] },
    handler: (args) => ({ result: calculate(String(args.expression ?? '')) }),
  },
  {
    name: 'current_datetime',
    description: "Returns the current date and time on the user's device, with its time zone.",
    parameters: { type: 'object', properties: {} },
    handler: () => {
      const now = new Date();
      return { iso: now.toISOString(), local: now.toString(), timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone };
    },
  },
  {
    name: 'convert_units',
    description: `Converts a value between units of length, mass, volume, temperature or speed (${Object.keys(UNITS).join(', ')}).`,
    parameters: {
      type: 'object',
      properties: { value: { type: 'number' }, from: { type: 'string' }, to: { type: 'string' } },
      required: ['value', 'from', 'to'],
    },
    handler: (args) => ({ result: convertUnits(Number(args.value), String(args.from), String(args.to)), unit: String(args.to) }),
  },
];
