// Streaming GGUF header reader: parses metadata and tensor infos from growing byte ranges of a ByteSource
// (never the whole file), validating every length, count, shape and offset before allocating or trusting it.
// Tensor bytes are read with src/gguf/tensor-data.ts once the header is known.
// Values (and the lazy big arrays) are decoded by metadata-values.ts; this file reads the header's structure.
import { GgufError } from './errors.js';
import { ggmlTypeName, ggmlTypeTraits, tensorByteSize } from './ggml-types.js';
import { MetadataValueParser, NeedMore, TRUNCATED_HINT } from './metadata-values.js';
import { GgufValueType } from './types.js';
import type { ByteSource, GgufHeader, GgufMetadataEntry, GgufTensorInfo } from './types.js';

export { LAZY_ARRAY_ELEMENTS } from './lazy-array.js';

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
// Least bytes of one metadata entry (empty key, u32 type, 1-byte value) and one tensor info (empty name,
// n_dims 0, type, offset): a count whose minimum footprint exceeds the bytes left is a lie.
const MIN_KV_BYTES = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

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
class HeaderParser extends MetadataValueParser {
  version: 2 | 3 = 3;
  kvCount = 0;
  tensorCount = 0;
  readonly metadata = new Map<string, GgufMetadataEntry>();
  readonly tensors: GgufTensorInfo[] = [];
  private readonly tensorNames = new Set<string>();
  alignment = DEFAULT_ALIGNMENT;
  private preambleDone = false;
  headerEnd = 0;

  constructor(fileSize: number, limits: Required<ReadGgufOptions>) {
    super(fileSize, limits, { used: 0, max: limits.maxMetadataMemoryBytes });
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