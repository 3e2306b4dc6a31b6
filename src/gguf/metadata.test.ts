// Tests for the strict metadata getters: right values for right types, and MISSING_KEY / WRONG_KEY_TYPE /
// WRONG_ARRAY_LENGTH errors that name the key and both types, as llama.cpp would refuse the same files.
import { describe, expect, it } from 'vitest';
import { memorySource } from './byte-source.js';
import { GgufError } from './errors.js';
import type { GgufErrorCode } from './errors.js';
import {
  getArray,
  getBool,
  getBoolArray,
  getF32,
  getF32Array,
  getI32Array,
  getString,
  getStringArray,
  getU32,
  getU32OrArray,
  optBool,
  optF32,
  optF32Array,
  optI32Array,
  optString,
  optStringArray,
  optU32,
  optU32OrArray,
} from './metadata.js';
import { readGgufHeader } from './reader.js';
import { GgufValueType as T } from './types.js';
import type { GgufArray, GgufHeader, GgufValue } from './types.js';
import { writeGguf } from './writer.js';

const arr = (elementType: T, values: GgufValue[]): GgufArray => ({ kind: 'array', elementType, values });

async function headerWith(metadata: Array<{ key: string; type: T; value: GgufValue }>): Promise<GgufHeader> {
  return readGgufHeader(memorySource(writeGguf({ metadata, tensors: [] }, [])));
}

function expectCode(fn: () => unknown, code: GgufErrorCode, message?: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(GgufError);
  expect((error as GgufError).code, (error as GgufError).message).toBe(code);
  if (message) expect((error as GgufError).message).toMatch(message);
}

const h = await headerWith([
  { key: 'gemma4.block_count', type: T.UINT32, value: 4 },
  { key: 'gemma4.attention.layer_norm_rms_epsilon', type: T.FLOAT32, value: 1e-6 },
  { key: 'general.architecture', type: T.STRING, value: 'gemma4' },
  { key: 'gemma4.attention.causal', type: T.BOOL, value: false },
  { key: 'wrong.u32.as.i32', type: T.INT32, value: 4 },
  { key: 'wrong.f32.as.f64', type: T.FLOAT64, value: 1e-6 },
  { key: 'u64', type: T.UINT64, value: 7n },
  { key: 'ff.scalar', type: T.UINT32, value: 2048 },
  { key: 'ff.u32', type: T.ARRAY, value: arr(T.UINT32, [1, 2, 3, 4]) },
  { key: 'ff.i32', type: T.ARRAY, value: arr(T.INT32, [5, 6, 7, 8]) },
  { key: 'ff.short', type: T.ARRAY, value: arr(T.INT32, [5, 6, 7]) },
  { key: 'ff.negative', type: T.ARRAY, value: arr(T.INT32, [5, -6, 7, 8]) },
  { key: 'ff.f32', type: T.ARRAY, value: arr(T.FLOAT32, [1, 2, 3, 4]) },
  { key: 'ff.i32.scalar', type: T.INT32, value: 2048 },
  { key: 'swa.bool', type: T.ARRAY, value: arr(T.BOOL, [true, true, false, true]) },
  { key: 'swa.i32', type: T.ARRAY, value: arr(T.INT32, [1, 0, 0, 2]) },
  { key: 'swa.u32', type: T.ARRAY, value: arr(T.UINT32, [0, 1, 1, 0]) },
  { key: 'swa.u8', type: T.ARRAY, value: arr(T.UINT8, [0, 1, 1, 0]) },
  { key: 'tokens', type: T.ARRAY, value: arr(T.STRING, ['<pad>', '▁a']) },
  { key: 'scores', type: T.ARRAY, value: arr(T.FLOAT32, [0.5, -1]) },
  { key: 'types', type: T.ARRAY, value: arr(T.INT32, [3, 1]) },
  { key: 'types.u32', type: T.ARRAY, value: arr(T.UINT32, [3, 1]) },
]);

describe('scalar getters', () => {
  it('return values of the exact type', () => {
    expect(getU32(h, 'gemma4.block_count')).toBe(4);
    expect(getF32(h, 'gemma4.attention.layer_norm_rms_epsilon')).toBe(Math.fround(1e-6));
    expect(getString(h, 'general.architecture')).toBe('gemma4');
    expect(getBool(h, 'gemma4.attention.causal')).toBe(false);
  });

  it('optional variants return undefined only when the key is absent', () => {
    expect(optU32(h, 'gemma4.block_count')).toBe(4);
    expect(optU32(h, 'absent')).toBeUndefined();
    expect(optF32(h, 'absent')).toBeUndefined();
    expect(optString(h, 'absent')).toBeUndefined();
    expect(optBool(h, 'absent')).toBeUndefined();
    expect(optBool(h, 'gemma4.attention.causal')).toBe(false);
    expectCode(() => optU32(h, 'wrong.u32.as.i32'), 'WRONG_KEY_TYPE');
  });

  it('MISSING_KEY names the key', () => {
    expectCode(() => getU32(h, 'gemma4.context_length'), 'MISSING_KEY', /"gemma4\.context_length"/);
  });

  it('WRONG_KEY_TYPE names the key, expected and actual type (strict like llama.cpp)', () => {
    expectCode(() => getU32(h, 'wrong.u32.as.i32'), 'WRONG_KEY_TYPE', /"wrong\.u32\.as\.i32".*INT32.*expected UINT32/);
    expectCode(() => getF32(h, 'wrong.f32.as.f64'), 'WRONG_KEY_TYPE', /FLOAT64.*expected FLOAT32/);
    expectCode(() => getU32(h, 'u64'), 'WRONG_KEY_TYPE', /UINT64/);
    expectCode(() => getString(h, 'tokens'), 'WRONG_KEY_TYPE', /ARRAY of STRING.*expected STRING/);
    expectCode(() => getBool(h, 'swa.u8'), 'WRONG_KEY_TYPE');
  });

  it('work on a hand-built metadata map', () => {
    const source = { metadata: new Map([['k', { type: T.UINT32, value: 9 }]]) };
    expect(getU32(source, 'k')).toBe(9);
  });
});

describe('array getters', () => {
  it('typed arrays', () => {
    expect(getStringArray(h, 'tokens')).toEqual(['<pad>', '▁a']);
    expect(getF32Array(h, 'scores')).toEqual([0.5, -1]);
    expect(getI32Array(h, 'types')).toEqual([3, 1]);
    expect(getArray(h, 'tokens')).toEqual(['<pad>', '▁a']);
    expect(getArray(h, 'scores', T.FLOAT32)).toEqual([0.5, -1]);
    expect(optStringArray(h, 'absent')).toBeUndefined();
    expect(optF32Array(h, 'absent')).toBeUndefined();
    expect(optI32Array(h, 'types')).toEqual([3, 1]);
  });

  it('reject wrong element types and non-arrays', () => {
    expectCode(() => getI32Array(h, 'types.u32'), 'WRONG_KEY_TYPE', /ARRAY of UINT32.*expected ARRAY of INT32/);
    expectCode(() => getStringArray(h, 'scores'), 'WRONG_KEY_TYPE', /"scores"/);
    expectCode(() => getF32Array(h, 'gemma4.block_count'), 'WRONG_KEY_TYPE', /UINT32.*expected ARRAY of FLOAT32/);
    expectCode(() => getArray(h, 'scores', T.INT32), 'WRONG_KEY_TYPE');
    expectCode(() => getArray(h, 'general.architecture'), 'WRONG_KEY_TYPE', /expected ARRAY/);
    expectCode(() => getStringArray(h, 'absent'), 'MISSING_KEY');
  });

  it('getU32OrArray: UINT32 scalar, or INT32/UINT32 array of exactly the layer count', () => {
    expect(getU32OrArray(h, 'ff.scalar', 4)).toEqual([2048, 2048, 2048, 2048]);
    expect(getU32OrArray(h, 'ff.u32', 4)).toEqual([1, 2, 3, 4]);
    expect(getU32OrArray(h, 'ff.i32', 4)).toEqual([5, 6, 7, 8]);
    expect(optU32OrArray(h, 'absent', 4)).toBeUndefined();
    expectCode(() => getU32OrArray(h, 'ff.short', 4), 'WRONG_ARRAY_LENGTH', /"ff\.short".*3 entries, expected 4/);
    expectCode(() => getU32OrArray(h, 'ff.negative', 4), 'BAD_CONFIG', /"ff\.negative".*-6/);
    expectCode(() => getU32OrArray(h, 'ff.f32', 4), 'WRONG_KEY_TYPE', /ARRAY of FLOAT32/);
    expectCode(() => getU32OrArray(h, 'ff.i32.scalar', 4), 'WRONG_KEY_TYPE', /INT32.*expected UINT32 or ARRAY/);
    expectCode(() => getU32OrArray(h, 'absent', 4), 'MISSING_KEY');
  });

  it('getBoolArray: BOOL, INT32 or UINT32 arrays, optional length check', () => {
    expect(getBoolArray(h, 'swa.bool', 4)).toEqual([true, true, false, true]);
    expect(getBoolArray(h, 'swa.i32')).toEqual([true, false, false, true]);
    expect(getBoolArray(h, 'swa.u32', 4)).toEqual([false, true, true, false]);
    expectCode(() => getBoolArray(h, 'swa.bool', 5), 'WRONG_ARRAY_LENGTH');
    expectCode(() => getBoolArray(h, 'swa.u8'), 'WRONG_KEY_TYPE', /ARRAY of UINT8.*expected ARRAY of BOOL or INT32 or UINT32/);
    expectCode(() => getBoolArray(h, 'gemma4.attention.causal'), 'WRONG_KEY_TYPE');
  });
});
