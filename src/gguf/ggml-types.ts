// ggml tensor types: block size (elements per block) and bytes per block, as ggml defines them.
import { GgufError } from './errors.js';
import { GgmlType } from './types.js';

export interface GgmlTypeTraits {
  readonly name: string;
  /** Elements per block (1 for plain float types). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

/** Types this project can dequantize and run. */
export const SUPPORTED_TYPES: ReadonlyMap<GgmlType, GgmlTypeTraits> = new Map([
  [GgmlType.F32, { name: 'F32', blockSize: 1, typeSize: 4 }],
  [GgmlType.F16, { name: 'F16', blockSize: 1, typeSize: 2 }],
  [GgmlType.BF16, { name: 'BF16', blockSize: 1, typeSize: 2 }],
  [GgmlType.Q8_0, { name: 'Q8_0', blockSize: 32, typeSize: 34 }],
  [GgmlType.Q4_0, { name: 'Q4_0', blockSize: 32, typeSize: 18 }],
  [GgmlType.Q4_1, { name: 'Q4_1', blockSize: 32, typeSize: 20 }],
  [GgmlType.Q5_0, { name: 'Q5_0', blockSize: 32, typeSize: 22 }],
  [GgmlType.Q5_1, { name: 'Q5_1', blockSize: 32, typeSize: 24 }],
  [GgmlType.Q4_K, { name: 'Q4_K', blockSize: 256, typeSize: 144 }],
  [GgmlType.Q5_K, { name: 'Q5_K', blockSize: 256, typeSize: 176 }],
  [GgmlType.Q6_K, { name: 'Q6_K', blockSize: 256, typeSize: 210 }],
]);

/** Types a file may legally contain that this project cannot run (sizes known, so the file still parses). */
const KNOWN_UNSUPPORTED: ReadonlyMap<GgmlType, GgmlTypeTraits> = new Map([
  [GgmlType.Q8_1, { name: 'Q8_1', blockSize: 32, typeSize: 36 }],
  [GgmlType.Q2_K, { name: 'Q2_K', blockSize: 256, typeSize: 84 }],
  [GgmlType.Q3_K, { name: 'Q3_K', blockSize: 256, typeSize: 110 }],
  [GgmlType.Q8_K, { name: 'Q8_K', blockSize: 256, typeSize: 292 }],
  [GgmlType.IQ2_XXS, { name: 'IQ2_XXS', blockSize: 256, typeSize: 66 }],
  [GgmlType.IQ2_XS, { name: 'IQ2_XS', blockSize: 256, typeSize: 74 }],
  [GgmlType.IQ3_XXS, { name: 'IQ3_XXS', blockSize: 256, typeSize: 98 }],
  [GgmlType.IQ1_S, { name: 'IQ1_S', blockSize: 256, typeSize: 50 }],
  [GgmlType.IQ4_NL, { name: 'IQ4_NL', blockSize: 32, typeSize: 18 }],
  [GgmlType.IQ3_S, { name: 'IQ3_S', blockSize: 256, typeSize: 110 }],
  [GgmlType.IQ2_S, { name: 'IQ2_S', blockSize: 256, typeSize: 82 }],
  [GgmlType.IQ4_XS, { name: 'IQ4_XS', blockSize: 256, typeSize: 136 }],
  [GgmlType.I8, { name: 'I8', blockSize: 1, typeSize: 1 }],
  [GgmlType.I16, { name: 'I16', blockSize: 1, typeSize: 2 }],
  [GgmlType.I32, { name: 'I32', blockSize: 1, typeSize: 4 }],
  [GgmlType.I64, { name: 'I64', blockSize: 1, typeSize: 8 }],
  [GgmlType.F64, { name: 'F64', blockSize: 1, typeSize: 8 }],
  [GgmlType.IQ1_M, { name: 'IQ1_M', blockSize: 256, typeSize: 56 }],
  [GgmlType.TQ1_0, { name: 'TQ1_0', blockSize: 256, typeSize: 54 }],
  [GgmlType.TQ2_0, { name: 'TQ2_0', blockSize: 256, typeSize: 66 }],
  [GgmlType.MXFP4, { name: 'MXFP4', blockSize: 32, typeSize: 17 }],
]);

/** Traits of any type ggml knows (supported or not), or undefined for a number ggml never assigned. */
export function ggmlTypeTraits(type: number): GgmlTypeTraits | undefined {
  return SUPPORTED_TYPES.get(type) ?? KNOWN_UNSUPPORTED.get(type);
}

export function ggmlTypeName(type: number): string {
  return ggmlTypeTraits(type)?.name ?? `unknown type ${type}`;
}

export function isSupportedType(type: number): boolean {
  return SUPPORTED_TYPES.has(type);
}

/** Throws UNSUPPORTED_TENSOR_TYPE naming the tensor unless this project can run `type`. */
export function assertSupportedType(type: number, tensorName: string): GgmlTypeTraits {
  const traits = SUPPORTED_TYPES.get(type);
  if (!traits) {
    throw new GgufError(
      'UNSUPPORTED_TENSOR_TYPE',
      `Tensor "${tensorName}" has type ${ggmlTypeName(type)}, which this runtime cannot run. ` +
        `Supported: ${[...SUPPORTED_TYPES.values()].map((t) => t.name).join(', ')}. Use a GGUF quantized to one of these.`,
      { tensor: tensorName, type },
    );
  }
  return traits;
}

/**
 * Bytes a tensor of `type` with ggml dims occupies; throws BAD_TENSOR_SHAPE when the row length (dims[0])
 * is not a whole number of blocks, UNSUPPORTED_TENSOR_TYPE for a type number ggml never assigned.
 */
export function tensorByteSize(type: number, dims: readonly number[], tensorName: string): number {
  const traits = ggmlTypeTraits(type);
  if (!traits) {
    throw new GgufError('UNSUPPORTED_TENSOR_TYPE', `Tensor "${tensorName}" has unknown ggml type ${type}.`, {
      tensor: tensorName,
      type,
    });
  }
  const rowLength = dims[0] ?? 1;
  if (rowLength % traits.blockSize !== 0) {
    throw new GgufError(
      'BAD_TENSOR_SHAPE',
      `Tensor "${tensorName}" has row length ${rowLength}, not a multiple of the ${traits.name} block size ${traits.blockSize}.`,
      { tensor: tensorName, dims: [...dims] },
    );
  }
  let rows = 1;
  for (let i = 1; i < dims.length; i++) rows *= dims[i];
  return (rowLength / traits.blockSize) * traits.typeSize * rows;
}
