// GGUF writer (v3, or v2 on request) for test fixtures and tools: validates a spec, plans the layout, encodes
// the header and assembles whole files in memory. scripts/gguf-file-writer.ts streams the same layout to disk.
import { GgufError } from './errors.js';
import { ggmlTypeTraits, tensorByteSize } from './ggml-types.js';
import { GgufValueType } from './types.js';
import type { GgmlType, GgufArray, GgufValue } from './types.js';

export interface GgufWriteSpec {
  version?: 2 | 3;
  /**
   * Data alignment; defaults to general.alignment when the metadata has it, else 32. Anything but 32 must also
   * be in the metadata as general.alignment (the writer does not add it), since readers take it from there.
   */
  alignment?: number;
  /** Written in this order. general.alignment is written only when listed here. */
  metadata: Array<{ key: string; type: GgufValueType; value: GgufValue }>;
  /** Placed in this order, each at an aligned offset. dims in ggml order (dims[0] contiguous). */
  tensors: Array<{ name: string; dims: number[]; type: GgmlType }>;
}

export interface GgufPlan {
  /** Everything before the tensor data, including the zero padding up to dataOffset (length === dataOffset). */
  header: Uint8Array;
  dataOffset: number;
  /** Offsets relative to dataOffset, as stored in the tensor infos. */
  tensorOffsets: number[];
  tensorSizes: number[];
  /** File size: every tensor, including the last, is padded to the alignment (as llama.cpp and gguf-py do). */
  totalSize: number;
}

const DEFAULT_ALIGNMENT = 32;
// ggml's GGML_MAX_NAME is 64 including the terminating NUL; llama.cpp refuses longer tensor names.
const MAX_TENSOR_NAME_BYTES = 63;
const MAX_DIMS = 4;

const encoder = new TextEncoder();

/** A growable little-endian byte buffer. */
class ByteWriter {
  private bytes = new Uint8Array(4096);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.bytes.byteLength) {
      const grown = new Uint8Array(Math.max(this.bytes.byteLength * 2, at + n));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length += n;
    return at;
  }

  u8(v: number): void {
    const at = this.reserve(1);
    this.bytes[at] = v;
  }
  i8(v: number): void {
    const at = this.reserve(1);
    this.view.setInt8(at, v);
  }
  u16(v: number): void {
    const at = this.reserve(2);
    this.view.setUint16(at, v, true);
  }
  i16(v: number): void {
    const at = this.reserve(2);
    this.view.setInt16(at, v, true);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }
  i32(v: number): void {
    const at = this.reserve(4);
    this.view.setInt32(at, v, true);
  }
  f32(v: number): void {
    const at = this.reserve(4);
    this.view.setFloat32(at, v, true);
  }
  f64(v: number): void {
    const at = this.reserve(8);
    this.view.setFloat64(at, v, true);
  }
  u64(v: bigint): void {
    const at = this.reserve(8);
    this.view.setBigUint64(at, v, true);
  }
  i64(v: bigint): void {
    const at = this.reserve(8);
    this.view.setBigInt64(at, v, true);
  }
  /** u64 byte length, then UTF-8 bytes (encoded straight into the buffer). */
  string(s: string): void {
    const lengthAt = this.reserve(8);
    const at = this.reserve(s.length * 3);
    const { written } = encoder.encodeInto(s, this.bytes.subarray(at));
    this.length = at + written;
    this.view.setBigUint64(lengthAt, BigInt(written), true);
  }
  /** Zero bytes up to a multiple of `alignment`. */
  pad(alignment: number): void {
    const padding = (alignment - (this.length % alignment)) % alignment;
    this.bytes.fill(0, this.reserve(padding), this.length);
  }
  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}

function checkString(s: unknown, what: string): string {
  if (typeof s !== 'string') throw new GgufError('BAD_STRING', `${what} is not a string.`, { what });
  if (!isWellFormed(s)) {
    throw new GgufError('BAD_STRING', `${what} contains a lone UTF-16 surrogate, which UTF-8 cannot encode.`, { what });
  }
  return s;
}

const INT_RANGES: ReadonlyMap<GgufValueType, readonly [number, number]> = new Map([
  [GgufValueType.UINT8, [0, 0xff]],
  [GgufValueType.INT8, [-0x80, 0x7f]],
  [GgufValueType.UINT16, [0, 0xffff]],
  [GgufValueType.INT16, [-0x8000, 0x7fff]],
  [GgufValueType.UINT32, [0, 0xffffffff]],
  [GgufValueType.INT32, [-0x80000000, 0x7fffffff]],
]);
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function isArray(value: GgufValue): value is GgufArray {
  return typeof value === 'object' && value !== null && (value as GgufArray).kind === 'array';
}

/** Encodes one value of `type`, throwing BAD_VALUE_TYPE (naming `where`) when the value does not fit the type. */
function encodeValue(w: ByteWriter, type: GgufValueType, value: GgufValue, where: string, depth: number): void {
  const bad = (why: string): GgufError =>
    new GgufError('BAD_VALUE_TYPE', `${where}: ${why} (declared type ${GgufValueType[type] ?? type}).`, { where, type });
  const range = INT_RANGES.get(type);
  if (range) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) {
      throw bad(`${String(value)} is not an integer in [${range[0]}, ${range[1]}]`);
    }
  }
  switch (type) {
    case GgufValueType.UINT8:
      return w.u8(value as number);
    case GgufValueType.INT8:
      return w.i8(value as number);
    case GgufValueType.UINT16:
      return w.u16(value as number);
    case GgufValueType.INT16:
      return w.i16(value as number);
    case GgufValueType.UINT32:
      return w.u32(value as number);
    case GgufValueType.INT32:
      return w.i32(value as number);
    case GgufValueType.FLOAT32:
    case GgufValueType.FLOAT64:
      if (typeof value !== 'number') throw bad(`${String(value)} is not a number`);
      return type === GgufValueType.FLOAT32 ? w.f32(value) : w.f64(value);
    case GgufValueType.BOOL:
      if (typeof value !== 'boolean') throw bad(`${String(value)} is not a boolean`);
      return w.u8(value ? 1 : 0);
    case GgufValueType.STRING:
      return w.string(checkString(value, where));
    case GgufValueType.UINT64:
    case GgufValueType.INT64: {
      // Accept a safe-integer number for convenience; the reader always returns bigint.
      const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value as number) : undefined;
      const [min, max] = type === GgufValueType.UINT64 ? [0n, U64_MAX] : [I64_MIN, I64_MAX];
      if (big === undefined || big < min || big > max) throw bad(`${String(value)} is not an integer in [${min}, ${max}]`);
      return type === GgufValueType.UINT64 ? w.u64(big) : w.i64(big);
    }
    case GgufValueType.ARRAY: {
      if (!isArray(value)) throw bad('the value is not a GgufArray ({ kind: "array", elementType, values })');
      if (!(value.elementType in GgufValueType) || typeof value.elementType !== 'number') {
        throw bad(`unknown array element type ${String(value.elementType)}`);
      }
      if (value.elementType === GgufValueType.ARRAY && depth >= 8) throw bad('arrays nest more than 8 levels');
      w.u32(value.elementType);
      w.u64(BigInt(value.values.length));
      value.values.forEach((v, i) => encodeValue(w, value.elementType, v, `${where}[${i}]`, depth + 1));
      return;
    }
    default:
      throw bad(`unknown value type ${String(type)}`);
  }
}

function resolveAlignment(spec: GgufWriteSpec): number {
  const entry = spec.metadata.find((m) => m.key === 'general.alignment');
  if (entry && (entry.type !== GgufValueType.UINT32 || typeof entry.value !== 'number')) {
    throw new GgufError('BAD_ALIGNMENT', 'general.alignment must be a UINT32 value.', { value: entry.value });
  }
  const fromMetadata = entry?.value as number | undefined;
  const alignment = spec.alignment ?? fromMetadata ?? DEFAULT_ALIGNMENT;
  if (!Number.isSafeInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0 || alignment > 0xffffffff) {
    throw new GgufError('BAD_ALIGNMENT', `Alignment ${alignment} is not a nonzero power of two.`, { alignment });
  }
  // Readers take the alignment from general.alignment alone (32 when absent), so the two must agree.
  if (fromMetadata === undefined && alignment !== DEFAULT_ALIGNMENT) {
    throw new GgufError(
      'BAD_ALIGNMENT',
      `Alignment ${alignment} needs general.alignment = ${alignment} (UINT32) in the metadata; readers assume ` +
        `${DEFAULT_ALIGNMENT} without it.`,
      { alignment },
    );
  }
  if (fromMetadata !== undefined && fromMetadata !== alignment) {
    throw new GgufError(
      'BAD_ALIGNMENT',
      `spec.alignment ${alignment} disagrees with general.alignment ${fromMetadata} in the metadata.`,
      { alignment, metadata: fromMetadata },
    );
  }
  return alignment;
}

function tensorSize(tensor: GgufWriteSpec['tensors'][number], index: number): number {
  const name = checkString(tensor.name, `Tensor #${index} name`);
  const nameBytes = encoder.encode(name).byteLength;
  if (nameBytes === 0 || nameBytes > MAX_TENSOR_NAME_BYTES) {
    throw new GgufError(
      'BAD_STRING',
      `Tensor #${index} name "${name}" is ${nameBytes} bytes; it must be 1-${MAX_TENSOR_NAME_BYTES} (llama.cpp's limit).`,
      { tensor: name },
    );
  }
  const dims = tensor.dims;
  const validDims =
    Array.isArray(dims) && dims.length >= 1 && dims.length <= MAX_DIMS && dims.every((d) => Number.isSafeInteger(d) && d > 0);
  // Once an intermediate product passes 2^53 the final one does too (every dim is >= 1).
  if (!validDims || !Number.isSafeInteger(dims.reduce((a, d) => a * d, 1))) {
    throw new GgufError(
      'BAD_TENSOR_SHAPE',
      `Tensor "${name}" dims ${JSON.stringify(dims)} must be 1-${MAX_DIMS} positive integers with a safe-integer product.`,
      { tensor: name },
    );
  }
  if (!ggmlTypeTraits(tensor.type)) {
    throw new GgufError('UNSUPPORTED_TENSOR_TYPE', `Tensor "${name}" has unknown ggml type ${tensor.type}.`, {
      tensor: name,
      type: tensor.type,
    });
  }
  return tensorByteSize(tensor.type, dims, name);
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Validates a spec and lays the file out: the encoded header (padded) and where each tensor's bytes go. */
export function planGguf(spec: GgufWriteSpec): GgufPlan {
  const version = spec.version ?? 3;
  if (version !== 2 && version !== 3) {
    throw new GgufError('UNSUPPORTED_VERSION', `Cannot write GGUF version ${String(version)}; use 2 or 3.`, { version });
  }
  const alignment = resolveAlignment(spec);

  const w = new ByteWriter();
  [0x47, 0x47, 0x55, 0x46].forEach((b) => w.u8(b)); // "GGUF"
  w.u32(version);
  w.u64(BigInt(spec.tensors.length));
  w.u64(BigInt(spec.metadata.length));

  const keys = new Set<string>();
  for (const [i, { key, type, value }] of spec.metadata.entries()) {
    checkString(key, `Metadata key #${i}`);
    if (key.length === 0) throw new GgufError('BAD_STRING', `Metadata key #${i} is empty.`, { index: i });
    if (keys.has(key)) throw new GgufError('DUPLICATE_KEY', `Metadata key "${key}" is listed twice.`, { key });
    keys.add(key);
    w.string(key);
    w.u32(type);
    encodeValue(w, type, value, `Metadata key "${key}"`, 0);
  }

  const names = new Set<string>();
  const tensorSizes: number[] = [];
  const tensorOffsets: number[] = [];
  let dataSize = 0;
  for (const [i, tensor] of spec.tensors.entries()) {
    const size = tensorSize(tensor, i);
    if (names.has(tensor.name)) {
      throw new GgufError('DUPLICATE_TENSOR', `Tensor "${tensor.name}" is listed twice.`, { tensor: tensor.name });
    }
    names.add(tensor.name);
    tensorOffsets.push(dataSize);
    tensorSizes.push(size);
    dataSize = alignUp(dataSize + size, alignment);
    w.string(tensor.name);
    w.u32(tensor.dims.length);
    for (const d of tensor.dims) w.u64(BigInt(d));
    w.u32(tensor.type);
    w.u64(BigInt(tensorOffsets[i]));
  }
  w.pad(alignment);
  const header = w.result();
  const totalSize = header.byteLength + dataSize;
  if (!Number.isSafeInteger(totalSize)) {
    throw new GgufError('BAD_TENSOR_SHAPE', `The file would be ${totalSize} bytes, too large to address.`, { totalSize });
  }
  return { header, dataOffset: header.byteLength, tensorOffsets, tensorSizes, totalSize };
}

/** Throws TENSOR_SIZE_MISMATCH unless `data` is exactly the planned size of tensor `index`. */
export function checkTensorData(spec: GgufWriteSpec, plan: GgufPlan, index: number, data: Uint8Array): void {
  const expected = plan.tensorSizes[index];
  if (!(data instanceof Uint8Array) || data.byteLength !== expected) {
    const got = data instanceof Uint8Array ? `${data.byteLength} bytes` : 'not a Uint8Array';
    throw new GgufError(
      'TENSOR_SIZE_MISMATCH',
      `Data for tensor "${spec.tensors[index].name}" is ${got}; its type and dims need ${expected} bytes.`,
      { tensor: spec.tensors[index].name, expected },
    );
  }
}

/** Builds a whole GGUF file in memory (tests and small tools); tensorData[i] must match tensor i's size. */
export function writeGguf(spec: GgufWriteSpec, tensorData: Uint8Array[]): Uint8Array {
  const plan = planGguf(spec);
  if (tensorData.length !== spec.tensors.length) {
    throw new GgufError(
      'TENSOR_SIZE_MISMATCH',
      `Got data for ${tensorData.length} tensors, but the spec lists ${spec.tensors.length}.`,
      { expected: spec.tensors.length, actual: tensorData.length },
    );
  }
  const file = new Uint8Array(plan.totalSize);
  file.set(plan.header);
  tensorData.forEach((data, i) => {
    checkTensorData(spec, plan, i, data);
    file.set(data, plan.dataOffset + plan.tensorOffsets[i]);
  });
  return file;
}
