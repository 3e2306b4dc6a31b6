// Streaming GGUF header reader: parses metadata and tensor infos from growing byte ranges of a ByteSource
// (never the whole file), validating every length, count, shape and offset before allocating or trusting it.
// Tensor bytes are read with src/gguf/tensor-data.ts once the header is known.
import { GgufError } from './errors.js';
import { ggmlTypeName, ggmlTypeTraits, tensorByteSize } from './ggml-types.js';
import { GgufValueType } from './types.js';
import { decodeUtf8 } from './utf8.js';
import type {
  ByteSource,
  GgufArray,
  GgufHeader,
  GgufMetadataEntry,
  GgufTensorInfo,
  GgufValue,
} from './types.js';

export interface ReadGgufOptions {
  /** Largest header (metadata + tensor infos) accepted; default 256 MiB. Real Gemma 4 headers are 10-30 MB. */
  maxHeaderBytes?: number;
  /** Most entries in one metadata array; default 2^24 (real vocabularies: 262,144 tokens, 514,906 merges). */
  maxArrayLength?: number;
  /** Longest single string in bytes; default 16 MiB. */
  maxStringLength?: number;
  /** Size of the first read; later reads double the buffer as parsing needs it. Default 1 MiB. */
  initialReadBytes?: number;
  /**
   * Most memory (estimated, bytes) that decoded metadata arrays may take together; default 512 MiB. Arrays of
   * LAZY_ARRAY_ELEMENTS or more elements stay as raw bytes until read, and reading one past this budget throws
   * METADATA_TOO_LARGE naming its key, so a header of huge legal arrays cannot take a tab down.
   */
  maxMetadataMemoryBytes?: number;
}

/** Arrays with at least this many elements are decoded on first access (`values`), not while parsing. */
export const LAZY_ARRAY_ELEMENTS = 4096;

const MIB = 1024 * 1024;
const DEFAULTS = {
  maxHeaderBytes: 256 * MIB,
  maxArrayLength: 1 << 24,
  maxStringLength: 16 * MIB,
  initialReadBytes: MIB,
  maxMetadataMemoryBytes: 512 * MIB,
};
const GGUF_MAGIC = [0x47, 0x47, 0x55, 0x46]; // "GGUF"
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4;
// Real files nest at most two levels; a bound keeps a hostile file from overflowing the stack.
const MAX_ARRAY_DEPTH = 8;
const TRUNCATED_HINT = 'the file looks truncated or corrupt — re-download it';

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
// Least bytes of one metadata entry (empty key, u32 type, 1-byte value) and one tensor info (empty name,
// n_dims 0, type, offset): a count whose minimum footprint exceeds the bytes left is a lie.
const MIN_KV_BYTES = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

/** Thrown inside the synchronous parser when the buffered prefix ends; the driver reads more and resumes. */
class NeedMore {
  constructor(readonly end: number) {}
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function versionError(version: number): GgufError {
  const swapped = (((version & 0xff) << 24) | ((version & 0xff00) << 8) | ((version >>> 8) & 0xff00) | (version >>> 24)) >>> 0;
  let message: string;
  if (version === 1) {
    message = 'GGUF version 1 (32-bit counts) is not supported: convert the model again with a current llama.cpp.';
  } else if (swapped >= 1 && swapped <= 3) {
    message =
      `GGUF version reads as ${version}, which is version ${swapped} byte-swapped: the file is big-endian. ` +
      'Only little-endian GGUF files are supported — download the standard (little-endian) file.';
  } else {
    message = `GGUF version ${version} is not supported (this reader handles versions 2 and 3).`;
  }
  return new GgufError('UNSUPPORTED_VERSION', message, { version });
}

/**
 * The synchronous parser over the buffered prefix of the file. It advances in steps (preamble, one metadata
 * entry, one tensor info); a step that runs out of buffered bytes throws NeedMore and is redone from its start
 * once the driver has read more, so steps change state only when they finish.
 */
/** Estimated memory of decoded metadata arrays, shared by every lazy array of one header. */
interface MemoryBudget {
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
 * header still carries the values). Decoding validates exactly as the eager parser does.
 */
function lazyArray(
  elementType: GgufValueType,
  count: number,
  raw: Uint8Array,
  depth: number,
  key: string,
  limits: Required<ReadGgufOptions>,
  budget: MemoryBudget,
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
      const parser = new HeaderParser(raw.byteLength, limits, budget);
      parser.setBuffer(raw);
      values = parser.decodeElements(elementType, count, depth, key);
      return values;
    },
  });
  return array as GgufArray;
}

class HeaderParser {
  private bytes: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.bytes.buffer);
  private pos = 0;
  private where = 'the file preamble';
  private key = '';

  version: 2 | 3 = 3;
  kvCount = 0;
  tensorCount = 0;
  readonly metadata = new Map<string, GgufMetadataEntry>();
  readonly tensors: GgufTensorInfo[] = [];
  private readonly tensorNames = new Set<string>();
  alignment = DEFAULT_ALIGNMENT;
  private preambleDone = false;
  headerEnd = 0;

  constructor(
    private readonly fileSize: number,
    private readonly limits: Required<ReadGgufOptions>,
    private readonly budget: MemoryBudget = { used: 0, max: limits.maxMetadataMemoryBytes },
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

  /** Runs steps until the header is parsed; throws NeedMore when the buffer ends. */
  run(): void {
    if (!this.preambleDone) this.step(() => this.preamble());
    while (this.metadata.size < this.kvCount) {
      this.step(() => this.metadataEntry());
    }
    this.alignment = this.readAlignment();
    while (this.tensors.length < this.tensorCount) this.step(() => this.tensorInfo());
    this.headerEnd = this.pos;
  }

  private step(body: () => void): void {
    const start = this.pos;
    try {
      body();
    } catch (error) {
      this.pos = start;
      throw error;
    }
  }

  /** Ensures n more bytes are buffered at pos, or explains why they cannot be. */
  private need(n: number): void {
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

  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u64 length or count as a number: exact up to 2^53, and beyond that still too large for every check. */
  private u64AsNumber(): number {
    this.need(8);
    const v = this.view.getUint32(this.pos + 4, true) * 2 ** 32 + this.view.getUint32(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The exact u64 at `at` (already buffered) for messages, where a number would print rounded. */
  private u64Text(at: number): string {
    return this.view.getBigUint64(at, true).toString();
  }

  /** Bytes from pos to the end of the file: the most any claimed size can use. */
  private leftInFile(): number {
    return this.fileSize - this.pos;
  }

  private string(what: string): string {
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

  private valueType(what: string): GgufValueType {
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

  private value(type: GgufValueType, depth: number): GgufValue {
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
      return lazyArray(elementType, count, this.bytes.slice(start, this.pos), depth, this.key, this.limits, this.budget);
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

  private preamble(): void {
    this.need(4);
    const magic = this.bytes.subarray(0, 4);
    if (!GGUF_MAGIC.every((b, i) => magic[i] === b)) {
      const shown = [...magic].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new GgufError(
        'BAD_MAGIC',
        `Not a GGUF file: it starts with bytes ${shown}, not "GGUF". Check that the URL or file is the .gguf model.`,
        { magic: shown },
      );
    }
    this.pos = 4;
    const version = this.u32();
    if (version !== 2 && version !== 3) throw versionError(version);
    this.version = version;
    const tensorCountAt = this.pos;
    const tensorCount = this.u64AsNumber();
    const kvCountAt = this.pos;
    const kvCount = this.u64AsNumber();
    const left = this.leftInFile();
    if (kvCount * MIN_KV_BYTES > left) {
      throw new GgufError(
        'BAD_COUNT',
        `The metadata count at offset ${kvCountAt} claims ${this.u64Text(kvCountAt)} entries, more than the ${left} bytes ` +
          `left could hold — ${TRUNCATED_HINT}.`,
        { offset: kvCountAt, count: kvCount },
      );
    }
    if (tensorCount * MIN_TENSOR_INFO_BYTES + kvCount * MIN_KV_BYTES > left) {
      throw new GgufError(
        'BAD_COUNT',
        `The tensor count at offset ${tensorCountAt} claims ${this.u64Text(tensorCountAt)} tensors, more than the ${left} ` +
          `bytes left could describe — ${TRUNCATED_HINT}.`,
        { offset: tensorCountAt, count: tensorCount },
      );
    }
    this.tensorCount = tensorCount;
    this.kvCount = kvCount;
    this.preambleDone = true;
  }

  private metadataEntry(): void {
    this.where = `metadata entry #${this.metadata.size}`;
    const at = this.pos;
    const key = this.string('The key');
    this.where = `metadata key "${key}"`;
    this.key = key;
    if (this.metadata.has(key)) {
      throw new GgufError(
        'DUPLICATE_KEY',
        `Metadata key "${key}" appears twice (again at offset ${at}) — the file is corrupt or was written by a ` +
          'broken tool.',
        { key, offset: at },
      );
    }
    const type = this.valueType('The value type');
    const value = this.value(type, 0);
    this.metadata.set(key, { type, value });
  }

  /** general.alignment, which must be a UINT32 nonzero power of two (as llama.cpp demands). */
  private readAlignment(): number {
    const entry = this.metadata.get('general.alignment');
    if (!entry) return DEFAULT_ALIGNMENT;
    if (entry.type !== GgufValueType.UINT32 || !isPowerOfTwo(entry.value as number)) {
      const shown = typeof entry.value === 'object' ? 'an array' : String(entry.value);
      throw new GgufError(
        'BAD_ALIGNMENT',
        `Metadata key "general.alignment" is ${shown} of type ${GgufValueType[entry.type]}; it must be a UINT32 ` +
          'nonzero power of two — the file is corrupt.',
        { key: 'general.alignment', value: entry.value, type: entry.type },
      );
    }
    return entry.value as number;
  }

  private tensorInfo(): void {
    this.where = `tensor info #${this.tensors.length}`;
    const at = this.pos;
    const name = this.string('The tensor name');
    this.where = `tensor "${name}"`;
    const shapeError = (why: string, dims: readonly number[]): GgufError =>
      new GgufError('BAD_TENSOR_SHAPE', `Tensor "${name}" (info at offset ${at}) ${why} — the file is corrupt.`, {
        tensor: name,
        offset: at,
        dims: [...dims],
      });
    const nDims = this.u32();
    if (nDims > MAX_DIMS) throw shapeError(`has ${nDims} dimensions; at most ${MAX_DIMS} are allowed`, []);
    const dims: number[] = [];
    const dimTexts: string[] = []; // exact values for messages
    let elementCount = 1;
    for (let i = 0; i < nDims; i++) {
      const dimAt = this.pos;
      const dim = this.u64AsNumber();
      dims.push(dim);
      dimTexts.push(this.u64Text(dimAt));
      if (dim === 0) throw shapeError(`has a zero dimension (dims ${dimTexts.join(' x ')})`, dims);
      if (!Number.isSafeInteger(dim) || !Number.isSafeInteger(elementCount * dim)) {
        throw shapeError(`has dims whose element count overflows (dims ${dimTexts.join(' x ')})`, dims);
      }
      elementCount *= dim;
    }
    const type = this.u32();
    const offsetAt = this.pos;
    const offset = this.u64AsNumber();
    if (this.tensorNames.has(name)) {
      throw new GgufError(
        'DUPLICATE_TENSOR',
        `Tensor "${name}" appears twice (second info at offset ${at}) — the file is corrupt or was written by a broken tool.`,
        { tensor: name, offset: at },
      );
    }
    if (!ggmlTypeTraits(type)) {
      throw new GgufError(
        'UNSUPPORTED_TENSOR_TYPE',
        `Tensor "${name}" (info at offset ${at}) has unknown ggml type ${type}: the file is corrupt or uses a ` +
          'newer format than this runtime knows.',
        { tensor: name, type, offset: at },
      );
    }
    let byteSize: number;
    try {
      byteSize = tensorByteSize(type, dims, name);
    } catch (error) {
      if (!(error instanceof GgufError)) throw error;
      throw new GgufError(error.code, `${error.message.replace(/\.$/, '')} (info at offset ${at}) — the file is corrupt.`, {
        ...error.details,
        offset: at,
      });
    }
    if (!Number.isSafeInteger(byteSize)) throw shapeError(`is too large (${byteSize} bytes)`, dims);
    if (!Number.isSafeInteger(offset) || offset > this.fileSize) {
      throw new GgufError(
        'TENSOR_OUT_OF_BOUNDS',
        `Tensor "${name}" has data offset ${this.u64Text(offsetAt)} (field at offset ${offsetAt}), past the end of the ` +
          `${this.fileSize}-byte file — ${TRUNCATED_HINT}.`,
        { tensor: name, offset, fileSize: this.fileSize },
      );
    }
    if (offset % this.alignment !== 0) {
      throw new GgufError(
        'TENSOR_MISALIGNED',
        `Tensor "${name}" has data offset ${offset} (field at offset ${offsetAt}), not a multiple of the ` +
          `alignment ${this.alignment} — the file is corrupt.`,
        { tensor: name, offset, alignment: this.alignment },
      );
    }
    this.tensorNames.add(name);
    this.tensors.push({ name, dims, type, offset, byteSize, elementCount });
  }
}

/** Checks tensors lie inside the file and do not overlap; data offset is known only after all infos. */
function checkTensorPlacement(tensors: readonly GgufTensorInfo[], dataOffset: number, fileSize: number): void {
  for (const t of tensors) {
    const end = dataOffset + t.offset + t.byteSize;
    if (end > fileSize) {
      throw new GgufError(
        'TENSOR_OUT_OF_BOUNDS',
        `Tensor "${t.name}" (${ggmlTypeName(t.type)}, ${t.byteSize} bytes at file offset ${dataOffset + t.offset}) ` +
          `ends at ${end}, past the end of the ${fileSize}-byte file — ${TRUNCATED_HINT}.`,
        { tensor: t.name, start: dataOffset + t.offset, end, fileSize },
      );
    }
  }
  const byOffset = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    const cur = byOffset[i];
    if (cur.offset < prev.offset + prev.byteSize) {
      throw new GgufError(
        'TENSOR_OVERLAP',
        `Tensor "${cur.name}" (data offset ${cur.offset}) overlaps tensor "${prev.name}" ` +
          `(data offset ${prev.offset}, ${prev.byteSize} bytes) — the file is corrupt.`,
        { tensor: cur.name, other: prev.name },
      );
    }
  }
}

function resolveOptions(options: ReadGgufOptions): Required<ReadGgufOptions> {
  const resolved = { ...DEFAULTS, ...options };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`readGgufHeader option ${name} must be a positive integer, got ${value}.`);
    }
  }
  return resolved;
}

/**
 * Reads and validates a GGUF (v2/v3, little-endian) header from a byte source, reading only the header's
 * bytes: the first read is initialReadBytes, and each further read doubles the buffer as parsing needs it.
 */
export async function readGgufHeader(source: ByteSource, options: ReadGgufOptions = {}): Promise<GgufHeader> {
  const limits = resolveOptions(options);
  const fileSize = source.size;
  const readable = Math.min(fileSize, limits.maxHeaderBytes);
  const parser = new HeaderParser(fileSize, limits);
  // A custom source that returns a short read would leave zeros the parser would trust: refuse it.
  const read = async (offset: number, length: number): Promise<Uint8Array> => {
    const bytes = await source.read(offset, length);
    if (bytes.byteLength !== length) {
      throw new GgufError(
        'TRUNCATED',
        `Reading ${length} header bytes at offset ${offset} returned ${bytes.byteLength}: the file is truncated or ` +
          'the server ignored the byte range — try again, or re-download it.',
        { offset, length, got: bytes.byteLength },
      );
    }
    return bytes;
  };
  let buffer = await read(0, Math.min(readable, limits.initialReadBytes));
  for (;;) {
    parser.setBuffer(buffer);
    try {
      parser.run();
      break;
    } catch (error) {
      if (!(error instanceof NeedMore)) throw error;
      // need() guarantees error.end <= readable, so the loop always makes progress.
      const end = Math.min(readable, Math.max(error.end, buffer.byteLength * 2));
      const more = await read(buffer.byteLength, end - buffer.byteLength);
      const grown = new Uint8Array(end);
      grown.set(buffer);
      grown.set(more, buffer.byteLength);
      buffer = grown;
    }
  }
  const alignment = parser.alignment;
  const dataOffset = alignUp(parser.headerEnd, alignment);
  checkTensorPlacement(parser.tensors, dataOffset, fileSize);
  return {
    version: parser.version,
    metadata: parser.metadata,
    tensors: parser.tensors,
    alignment,
    dataOffset,
    fileSize,
  };
}
