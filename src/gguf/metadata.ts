// Strict typed getters for GGUF metadata. Like llama.cpp, a key read as u32 must be stored as UINT32, an f32 as
// FLOAT32, and so on; only per-layer arrays and bool patterns accept the alternatives llama.cpp accepts.
import { GgufError } from './errors.js';
import { GgufValueType } from './types.js';
import type { GgufArray, GgufHeader, GgufMetadataEntry, GgufValue } from './types.js';

/** Anything carrying parsed metadata (a GgufHeader, or a test's hand-built map). */
export type MetadataSource = Pick<GgufHeader, 'metadata'>;

function typeName(type: GgufValueType): string {
  return GgufValueType[type] ?? `unknown type ${type}`;
}

function describe(entry: GgufMetadataEntry): string {
  return entry.type === GgufValueType.ARRAY ? `ARRAY of ${typeName((entry.value as GgufArray).elementType)}` : typeName(entry.type);
}

function lookup(source: MetadataSource, key: string): GgufMetadataEntry {
  const entry = source.metadata.get(key);
  if (!entry) {
    throw new GgufError('MISSING_KEY', `Metadata key "${key}" is missing; this model file cannot be used without it.`, {
      key,
    });
  }
  return entry;
}

function wrongType(key: string, expected: string, entry: GgufMetadataEntry): GgufError {
  return new GgufError(
    'WRONG_KEY_TYPE',
    `Metadata key "${key}" has type ${describe(entry)}, expected ${expected} (llama.cpp rejects it too) — ` +
      'the file was written by a broken converter.',
    { key, expected, actual: describe(entry) },
  );
}

function scalar(source: MetadataSource, key: string, type: GgufValueType): GgufValue {
  const entry = lookup(source, key);
  if (entry.type !== type) throw wrongType(key, typeName(type), entry);
  return entry.value;
}

export function getU32(source: MetadataSource, key: string): number {
  return scalar(source, key, GgufValueType.UINT32) as number;
}

export function getF32(source: MetadataSource, key: string): number {
  return scalar(source, key, GgufValueType.FLOAT32) as number;
}

export function getString(source: MetadataSource, key: string): string {
  return scalar(source, key, GgufValueType.STRING) as string;
}

export function getBool(source: MetadataSource, key: string): boolean {
  return scalar(source, key, GgufValueType.BOOL) as boolean;
}

export function optU32(source: MetadataSource, key: string): number | undefined {
  return source.metadata.has(key) ? getU32(source, key) : undefined;
}

export function optF32(source: MetadataSource, key: string): number | undefined {
  return source.metadata.has(key) ? getF32(source, key) : undefined;
}

export function optString(source: MetadataSource, key: string): string | undefined {
  return source.metadata.has(key) ? getString(source, key) : undefined;
}

export function optBool(source: MetadataSource, key: string): boolean | undefined {
  return source.metadata.has(key) ? getBool(source, key) : undefined;
}

function arrayEntry(source: MetadataSource, key: string, allowed: readonly GgufValueType[]): GgufArray {
  const entry = lookup(source, key);
  const expected = allowed.length ? `ARRAY of ${allowed.map(typeName).join(' or ')}` : 'ARRAY';
  if (entry.type !== GgufValueType.ARRAY) throw wrongType(key, expected, entry);
  const array = entry.value as GgufArray;
  if (allowed.length && !allowed.includes(array.elementType)) throw wrongType(key, expected, entry);
  return array;
}

function checkLength(key: string, actual: number, length: number): void {
  if (actual !== length) {
    throw new GgufError(
      'WRONG_ARRAY_LENGTH',
      `Metadata key "${key}" has ${actual} entries, expected ${length} (one per layer) — the file is inconsistent.`,
      { key, expected: length, actual },
    );
  }
}

/** The values of an array key, optionally requiring an element type. */
export function getArray(source: MetadataSource, key: string, elementType?: GgufValueType): readonly GgufValue[] {
  return arrayEntry(source, key, elementType === undefined ? [] : [elementType]).values;
}

export function getStringArray(source: MetadataSource, key: string): readonly string[] {
  return arrayEntry(source, key, [GgufValueType.STRING]).values as readonly string[];
}

export function getF32Array(source: MetadataSource, key: string): readonly number[] {
  return arrayEntry(source, key, [GgufValueType.FLOAT32]).values as readonly number[];
}

export function getI32Array(source: MetadataSource, key: string): readonly number[] {
  return arrayEntry(source, key, [GgufValueType.INT32]).values as readonly number[];
}

export function optStringArray(source: MetadataSource, key: string): readonly string[] | undefined {
  return source.metadata.has(key) ? getStringArray(source, key) : undefined;
}

export function optF32Array(source: MetadataSource, key: string): readonly number[] | undefined {
  return source.metadata.has(key) ? getF32Array(source, key) : undefined;
}

export function optI32Array(source: MetadataSource, key: string): readonly number[] | undefined {
  return source.metadata.has(key) ? getI32Array(source, key) : undefined;
}

/**
 * A bool pattern such as sliding_window_pattern: a BOOL array, or an INT32/UINT32 array read as nonzero = true
 * (gguf-py writes Python bools as BOOL, other tools write ints). With `length`, the entry count must match.
 */
export function getBoolArray(source: MetadataSource, key: string, length?: number): boolean[] {
  const array = arrayEntry(source, key, [GgufValueType.BOOL, GgufValueType.INT32, GgufValueType.UINT32]);
  if (length !== undefined) checkLength(key, array.values.length, length);
  return array.values.map((v) => v === true || (typeof v === 'number' && v !== 0));
}

/**
 * A per-layer value (feed_forward_length, head_count, head_count_kv): a UINT32 scalar repeated `length` times,
 * or an INT32/UINT32 array of exactly `length` non-negative entries.
 */
export function getU32OrArray(source: MetadataSource, key: string, length: number): number[] {
  const entry = lookup(source, key);
  if (entry.type === GgufValueType.UINT32) return new Array<number>(length).fill(entry.value as number);
  if (entry.type !== GgufValueType.ARRAY) throw wrongType(key, 'UINT32 or ARRAY of INT32 or UINT32', entry);
  const array = arrayEntry(source, key, [GgufValueType.INT32, GgufValueType.UINT32]);
  checkLength(key, array.values.length, length);
  const values = array.values as readonly number[];
  const negative = values.findIndex((v) => v < 0);
  if (negative >= 0) {
    throw new GgufError(
      'BAD_CONFIG',
      `Metadata key "${key}" has ${values[negative]} at index ${negative}; per-layer values must be non-negative.`,
      { key, index: negative, value: values[negative] },
    );
  }
  return [...values];
}

export function optU32OrArray(source: MetadataSource, key: string, length: number): number[] | undefined {
  return source.metadata.has(key) ? getU32OrArray(source, key, length) : undefined;
}
