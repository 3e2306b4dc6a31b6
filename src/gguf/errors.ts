// Typed errors for everything that can be wrong with a GGUF file. Each names the problem and what to do.

export type GgufErrorCode =
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'TRUNCATED'
  | 'BAD_LENGTH'
  | 'BAD_COUNT'
  | 'BAD_VALUE_TYPE'
  | 'BAD_STRING'
  | 'DUPLICATE_KEY'
  | 'DUPLICATE_TENSOR'
  | 'BAD_ALIGNMENT'
  | 'BAD_TENSOR_SHAPE'
  | 'UNSUPPORTED_TENSOR_TYPE'
  | 'TENSOR_SIZE_MISMATCH'
  | 'TENSOR_OUT_OF_BOUNDS'
  | 'TENSOR_OVERLAP'
  | 'TENSOR_MISALIGNED'
  | 'MISSING_KEY'
  | 'WRONG_KEY_TYPE'
  | 'MISSING_TENSOR'
  | 'BAD_CONFIG'
  /** general.architecture names a model this runtime does not run (not gemma4). */
  | 'UNSUPPORTED_ARCHITECTURE'
  /** The header is larger than the reader's maxHeaderBytes cap. */
  | 'HEADER_TOO_LARGE'
  /** A per-layer or otherwise fixed-length metadata array has the wrong number of entries. */
  | 'WRONG_ARRAY_LENGTH';

export class GgufError extends Error {
  override readonly name = 'GgufError';
  constructor(
    readonly code: GgufErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
