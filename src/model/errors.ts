// Typed errors of the model layer's token generators (GPU or CPU backend); the engine maps them by code.

export type ModelErrorCode =
  /** The sampler saw NaN/Inf logits (the GPU sampler writes the sentinel id 0xFFFFFFFF): the weights or a kernel broke. */
  | 'NON_FINITE_LOGITS'
  /** A step would write past the KV cache (a caller bug: the session checks the context first). */
  | 'CONTEXT_OVERFLOW'
  /** A token id outside the vocabulary was fed in. */
  | 'TOKEN_OUT_OF_RANGE'
  /** A step option this backend does not implement yet (e.g. an allowed-token mask before the constraints work). */
  | 'UNSUPPORTED_OPTION'
  /** A step option with a value outside its range (a caller bug: the API validates requests first). */
  | 'BAD_STEP_OPTION';

export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
