// The shapes a parsed GGUF file takes in memory: metadata values, tensor infos, and the byte source they come from.

/** GGUF metadata value types, numbered as the format defines them. */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** ggml tensor types, numbered as ggml defines them (only those this project reads carry behaviour). */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
}

/**
 * A metadata value. Scalars keep their declared type so strict readers (like llama.cpp) can be mirrored:
 * 64-bit integers are bigint, arrays keep their element type.
 */
export type GgufScalar = number | bigint | boolean | string;
export interface GgufArray {
  readonly kind: 'array';
  readonly elementType: GgufValueType;
  readonly values: readonly GgufValue[];
}
export type GgufValue = GgufScalar | GgufArray;

export interface GgufMetadataEntry {
  readonly type: GgufValueType;
  readonly value: GgufValue;
}

export interface GgufTensorInfo {
  readonly name: string;
  /** ggml `ne` order: dims[0] is the contiguous (input) dimension. */
  readonly dims: readonly number[];
  readonly type: GgmlType;
  /** Offset relative to the start of the tensor data section. */
  readonly offset: number;
  /** Byte size implied by type and dims. */
  readonly byteSize: number;
  /** Number of elements (product of dims). */
  readonly elementCount: number;
}

export interface GgufHeader {
  readonly version: 2 | 3;
  readonly metadata: ReadonlyMap<string, GgufMetadataEntry>;
  readonly tensors: readonly GgufTensorInfo[];
  readonly alignment: number;
  /** Absolute file offset where the tensor data section starts. */
  readonly dataOffset: number;
  /** Total file size in bytes when known (from the byte source). */
  readonly fileSize: number;
}

/** Random access to a file's bytes: a local buffer, a Blob, an HTTP server with Range, IndexedDB chunks. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Reads bytes [offset, offset + length). Must return exactly `length` bytes or throw. */
  read(offset: number, length: number): Promise<Uint8Array>;
}
