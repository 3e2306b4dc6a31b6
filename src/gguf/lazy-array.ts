// Big metadata arrays (LAZY_ARRAY_ELEMENTS or more elements) stay as their raw bytes until `values` is read, and
// every decode draws on one memory budget per header: past it the read throws METADATA_TOO_LARGE naming the key,
// so a header of huge legal arrays cannot take a tab down.
import { GgufError } from './errors.js';
import { GgufValueType } from './types.js';
import type { GgufArray, GgufValue } from './types.js';

/** Arrays with at least this many elements are decoded on first access (`values`), not while parsing. */
export const LAZY_ARRAY_ELEMENTS = 4096;

const MIB = 1024 * 1024;

/** Estimated memory of decoded metadata arrays, shared by every lazy array of one header. */
export interface MemoryBudget {
  used: number;
  readonly max: number;
}

/** Rough JS heap cost of decoding `count` elements from `bytes` raw bytes (strings: UTF-16 + object header). */
function decodedBytesEstimate(type: GgufValueType, count: number, bytes: number): number {
  if (type === GgufValueType.STRING || type === GgufValueType.ARRAY) return count * 48 + bytes * 2;
  if (type === GgufValueType.UINT64 || type === GgufValueType.INT64) return count * 40;
  return count * 8;
}

/**
 * An array kept as its raw bytes until `values` is read (an own enumerable getter, so a structured clone of the
 * header still carries the values). `decode` parses the raw bytes with the eager parser's checks.
 */
export function lazyArray(
  elementType: GgufValueType,
  count: number,
  raw: Uint8Array,
  key: string,
  budget: MemoryBudget,
  decode: () => GgufValue[],
): GgufArray {
  let values: GgufValue[] | undefined;
  const array = { kind: 'array' as const, elementType };
  Object.defineProperty(array, 'values', {
    enumerable: true,
    get(): readonly GgufValue[] {
      if (values) return values;
      const cost = decodedBytesEstimate(elementType, count, raw.byteLength);
      if (budget.used + cost > budget.max) {
        throw new GgufError(
          'METADATA_TOO_LARGE',
          `Metadata key "${key}" holds ${count} elements (${raw.byteLength} bytes in the file, about ` +
            `${Math.round(cost / MIB)} MiB once decoded), more than the ${Math.round(budget.max / MIB)} MiB the header's ` +
            'metadata may take in memory: the file is corrupt or hostile, or raise maxMetadataMemoryBytes if it is genuine.',
          { key, count, bytes: raw.byteLength, estimatedBytes: cost, maxMetadataMemoryBytes: budget.max },
        );
      }
      budget.used += cost;
      values = decode();
      return values;
    },
  });
  return array as GgufArray;
}
