// The bounded cursor under the GGUF header reader: decodes metadata values from the buffered prefix of the file,
// checking every length and count against the file, the limits and the nesting depth before trusting it. Arrays of
// LAZY_ARRAY_ELEMENTS or more are only walked (lengths checked, nothing decoded) and kept raw (lazy-array.ts).
import { GgufError } from './errors.js';
import { LAZY_ARRAY_ELEMENTS, lazyArray } from './lazy-array.js';
import type { MemoryBudget } from './lazy-array.js';
import { GgufValueType } from './types.js';
import { decodeUtf8 } from './utf8.js';
import type { GgufArray, GgufValue } from './types.js';

/** The reader's limits that value parsing checks (a subset of the resolved ReadGgufOptions). */
export interface ValueLimits {
  readonly maxHeaderBytes: number;
  readonly maxArrayLength: number;
  readonly maxStringLength: number;
}

// Real files nest at most two levels; a bound keeps a hostile file from overflowing the stack.
const MAX_ARRAY_DEPTH = 8;
export const TRUNCATED_HINT = 'the file looks truncated or corrupt — re-download it';

/** Bytes of each fixed-size value type; STRING and ARRAY give the least bytes one element can take. */
const MIN_VALUE_BYTES: ReadonlyMap<number, number> = new Map([
  [GgufValueType.UINT8, 1],
  [GgufValueType.INT8, 1],
  [GgufValueType.UINT16, 2],
  [GgufValueType.INT16, 2],
  [GgufValueType.UINT32, 4],
  [GgufValueType.INT32, 4],
  [GgufValueType.FLOAT32, 4],
  [GgufValueType.BOOL, 1],
  [GgufValueType.STRING, 8],
  [GgufValueType.ARRAY, 12],
  [GgufValueType.UINT64, 8],
  [GgufValueType.INT64, 8],
  [GgufValueType.FLOAT64, 8],
]);

/** Thrown inside the synchronous parser when the buffered prefix ends; the driver reads more and resumes. */
export class NeedMore {
  constructor(readonly end: number) {}
}

/**
 * Reads values at `pos` in the buffered bytes. A read past the buffer throws NeedMore (the header parser reads
 * more and redoes its step); past the file or the header limit it throws the GgufError that explains why.
 */
export class MetadataValueParser {
  protected bytes: Uint8Array = new Uint8Array(0);
  protected view: DataView = new DataView(this.bytes.buffer);
  protected pos = 0;
  protected where = 'the file preamble';
  protected key = '';

  constructor(
    protected readonly fileSize: number,
    protected readonly limits: ValueLimits,
    protected readonly budget: MemoryBudget,
  ) {}

  /** Decodes `count` elements from the start of the buffer (a lazy array's raw bytes). */
  decodeElements(elementType: GgufValueType, count: number, depth: number, key: string): GgufValue[] {
    this.where = `metadata key "${key}"`;
    this.key = key;
    const values: GgufValue[] = new Array(count);
    for (let i = 0; i < count; i++) values[i] = this.value(elementType, depth);
    return values;
  }

  setBuffer(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Ensures n more bytes are buffered at pos, or explains why they cannot be. */
  protected need(n: number): void {
    const end = this.pos + n;
    if (end <= this.bytes.byteLength) return;
    if (end > this.fileSize) {
      throw new GgufError(
        'TRUNCATED',
        `The header ends early: reading ${this.where} at offset ${this.pos} needs ${n} bytes but the file ` +
          `has ${this.fileSize} bytes — ${TRUNCATED_HINT}.`,
        { offset: this.pos, fileSize: this.fileSize },
      );
    }
    if (end > this.limits.maxHeaderBytes) {
      throw new GgufError(
        'HEADER_TOO_LARGE',
        `The header runs past ${this.limits.maxHeaderBytes} bytes while reading ${this.where} at offset ${this.pos}: ` +
          'the file is corrupt, or raise maxHeaderBytes if it is genuinely this large.',
        { offset: this.pos, maxHeaderBytes: this.limits.maxHeaderBytes },
      );
    }
    throw new NeedMore(end);
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  protected u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u64 length or count as a number: exact up to 2^53, and beyond that still too large for every check. */
  protected u64AsNumber(): number {
    this.need(8);
    const v = this.view.getUint32(this.pos + 4, true) * 2 ** 32 + this.view.getUint32(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The exact u64 at `at` (already buffered) for messages, where a number would print rounded. */
  protected u64Text(at: number): string {
    return this.view.getBigUint64(at, true).toString();
  }

  /** Bytes from pos to the end of the file: the most any claimed size can use. */
  protected leftInFile(): number {
    return this.fileSize - this.pos;
  }

  protected string(what: string): string {
    const at = this.pos;
    const length = this.u64AsNumber();
    const left = this.leftInFile();
    if (length > left) {
      throw new GgufError(
        'BAD_LENGTH',
        `${what} in ${this.where} at offset ${at} claims ${this.u64Text(at)} bytes, but only ${left} bytes remain in the ` +
          `file — ${TRUNCATED_HINT}.`,
        { offset: at, length },
      );
    }
    if (length > this.limits.maxStringLength) {
      throw new GgufError(
        'BAD_LENGTH',
        `${what} in ${this.where} at offset ${at} is ${length} bytes, over the ${this.limits.maxStringLength}-byte ` +
          'limit: the file is corrupt, or raise maxStringLength if it is genuine.',
        { offset: at, length },
      );
    }
    this.need(length);
    const text = decodeUtf8(this.bytes, this.pos, this.pos + length);
    if (text === undefined) {
      throw new GgufError(
        'BAD_STRING',
        `${what} in ${this.where} at offset ${at} is not valid UTF-8 — the file is corrupt; re-download it.`,
        { offset: at },
      );
    }
    this.pos += length;
    return text;
  }

  protected valueType(what: string): GgufValueType {
    const at = this.pos;
    const type = this.u32();
    if (!MIN_VALUE_BYTES.has(type)) {
      throw new GgufError(
        'BAD_VALUE_TYPE',
        `${what} in ${this.where} at offset ${at} has unknown value type ${type} (known: 0-12) — the file is ` +
          'corrupt or from a newer GGUF version.',
        { offset: at, type },
      );
    }
    return type;
  }

  protected value(type: GgufValueType, depth: number): GgufValue {
    switch (type) {
      case GgufValueType.UINT8:
        return this.u8();
      case GgufValueType.INT8:
        return (this.u8() << 24) >> 24;
      case GgufValueType.BOOL:
        return this.u8() !== 0;
      case GgufValueType.STRING:
        return this.string('A string value');
      case GgufValueType.ARRAY:
        return this.array(depth + 1);
      default: {
        const size = MIN_VALUE_BYTES.get(type) as number;
        this.need(size);
        const v = this.fixed(type, this.pos);
        this.pos += size;
        return v;
      }
    }
  }

  /** A fixed-size value at `at` (already buffered). */
  private fixed(type: GgufValueType, at: number): number | bigint | boolean {
    const view = this.view;
    switch (type) {
      case GgufValueType.UINT8:
        return this.bytes[at];
      case GgufValueType.INT8:
        return view.getInt8(at);
      case GgufValueType.UINT16:
        return view.getUint16(at, true);
      case GgufValueType.INT16:
        return view.getInt16(at, true);
      case GgufValueType.UINT32:
        return view.getUint32(at, true);
      case GgufValueType.INT32:
        return view.getInt32(at, true);
      case GgufValueType.FLOAT32:
        return view.getFloat32(at, true);
      case GgufValueType.BOOL:
        return this.bytes[at] !== 0;
      case GgufValueType.UINT64:
        return view.getBigUint64(at, true);
      case GgufValueType.INT64:
        return view.getBigInt64(at, true);
      case GgufValueType.FLOAT64:
        return view.getFloat64(at, true);
      default:
        throw new Error(`unreachable: fixed() on type ${type}`);
    }
  }

  private array(depth: number): GgufArray {
    const { elementType, count, minBytes } = this.arrayHeader(depth);
    if (count >= LAZY_ARRAY_ELEMENTS) {
      // Big: only walk over it now (lengths checked, nothing allocated) and keep its bytes for a later decode.
      const start = this.pos;
      this.skipElements(elementType, count, depth);
      const raw = this.bytes.slice(start, this.pos);
      const { limits, budget } = this;
      const key = this.key;
      return lazyArray(elementType, count, raw, key, budget, () => {
        const parser = new MetadataValueParser(raw.byteLength, limits, budget);
        parser.setBuffer(raw);
        return parser.decodeElements(elementType, count, depth, key);
      });
    }
    return this.arrayElements(elementType, count, minBytes, depth);
  }

  /** An array's element type and count, checked against the file, the limits and the nesting depth. */
  private arrayHeader(depth: number): { elementType: GgufValueType; count: number; minBytes: number } {
    const at = this.pos;
    if (depth > MAX_ARRAY_DEPTH) {
      throw new GgufError(
        'BAD_VALUE_TYPE',
        `An array in ${this.where} at offset ${at} is nested more than ${MAX_ARRAY_DEPTH} levels deep — the file is corrupt.`,
        { offset: at },
      );
    }
    const elementType = this.valueType('An array element type');
    const countAt = this.pos;
    const count = this.u64AsNumber();
    const minBytes = MIN_VALUE_BYTES.get(elementType) as number;
    const left = this.leftInFile();
    // Checked before anything is allocated: the elements must at least fit in what is left of the file.
    if (count * minBytes > left) {
      throw new GgufError(
        'BAD_COUNT',
        `An array in ${this.where} at offset ${countAt} claims ${this.u64Text(countAt)} elements of at least ` +
          `${minBytes} bytes each, but only ${left} bytes remain — ${TRUNCATED_HINT}.`,
        { offset: countAt, count },
      );
    }
    if (count > this.limits.maxArrayLength) {
      throw new GgufError(
        'BAD_COUNT',
        `An array in ${this.where} at offset ${countAt} has ${count} elements, over the limit of ` +
          `${this.limits.maxArrayLength}: the file is corrupt, or raise maxArrayLength if it is genuine.`,
        { offset: countAt, count },
      );
    }
    if (this.pos + count * minBytes > this.limits.maxHeaderBytes) this.need(count * minBytes); // HEADER_TOO_LARGE
    return { elementType, count, minBytes };
  }

  private arrayElements(elementType: GgufValueType, count: number, minBytes: number, depth: number): GgufArray {
    const values: GgufValue[] = [];
    if (elementType === GgufValueType.STRING || elementType === GgufValueType.ARRAY) {
      const start = this.pos;
      try {
        for (let i = 0; i < count; i++) values.push(this.value(elementType, depth));
      } catch (error) {
        // Ask for the whole array at once (extrapolated from the elements parsed so far), so a big vocabulary
        // is re-parsed about once rather than once per doubling of the buffer.
        if (!(error instanceof NeedMore) || values.length === 0) throw error;
        const estimate = start + Math.ceil(((this.pos - start) / values.length) * count * 1.05);
        throw new NeedMore(Math.max(error.end, Math.min(estimate, this.fileSize, this.limits.maxHeaderBytes)));
      }
    } else {
      this.need(count * minBytes);
      for (let i = 0; i < count; i++) values.push(this.fixed(elementType, this.pos + i * minBytes));
      this.pos += count * minBytes;
    }
    return { kind: 'array', elementType, values };
  }

  /** Advances over `count` elements with the eager parser's checks but no decoding (UTF-8 is checked on decode). */
  private skipElements(elementType: GgufValueType, count: number, depth: number): void {
    if (elementType !== GgufValueType.STRING && elementType !== GgufValueType.ARRAY) {
      const size = MIN_VALUE_BYTES.get(elementType) as number;
      this.need(count * size);
      this.pos += count * size;
      return;
    }
    const start = this.pos;
    let i = 0;
    try {
      if (elementType === GgufValueType.ARRAY) {
        for (; i < count; i++) this.skipArray(depth + 1);
        return;
      }
      // Strings: a tight loop over the length prefixes (millions of them in a hostile header).
      const view = this.view;
      const buffered = this.bytes.byteLength;
      const maxString = this.limits.maxStringLength;
      let p = this.pos;
      for (; i < count; i++) {
        if (p + 8 > buffered) {
          this.pos = p;
          this.need(8); // NeedMore or TRUNCATED
        }
        const length = view.getUint32(p + 4, true) * 2 ** 32 + view.getUint32(p, true);
        if (length > this.fileSize - p - 8 || length > maxString || p + 8 + length > buffered) {
          this.pos = p;
          this.string('A string value'); // the eager parser's BAD_LENGTH / TRUNCATED / NeedMore (or it is fine)
          p = this.pos;
          continue;
        }
        p += 8 + length;
      }
      this.pos = p;
    } catch (error) {
      // As in array(): ask for the whole array at once, extrapolated from the part walked so far.
      if (!(error instanceof NeedMore) || i === 0) throw error;
      const estimate = start + Math.ceil(((this.pos - start) / i) * count * 1.05);
      throw new NeedMore(Math.max(error.end, Math.min(estimate, this.fileSize, this.limits.maxHeaderBytes)));
    }
  }

  private skipArray(depth: number): void {
    const { elementType, count } = this.arrayHeader(depth);
    this.skipElements(elementType, count, depth);
  }
}
