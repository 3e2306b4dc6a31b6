// Typed errors for a tokenizer that cannot be built from its metadata or cannot handle an input.
// Each names the GGUF key (or argument) at fault so a bad file can be reported precisely.

export type TokenizerErrorCode =
  /** A required key (tokenizer.ggml.tokens, tokenizer.ggml.merges, tokenizer.ggml.model) is absent. */
  | 'MISSING_KEY'
  /** A key has the wrong GGUF type (for example tokens that are not an array of strings). */
  | 'WRONG_KEY_TYPE'
  /** Parallel arrays (tokens, scores, token_type) disagree in length, or the vocabulary is empty. */
  | 'BAD_LENGTH'
  /** tokenizer.ggml.model / tokenizer.ggml.pre name a tokenizer this runtime does not implement. */
  | 'UNSUPPORTED_MODEL'
  /** A special token id (bos/eos/unknown/padding) is outside the vocabulary. */
  | 'BAD_TOKEN_ID'
  /** A merge entry is not of the form "left right". */
  | 'BAD_MERGE'
  /** decode() or a stream decoder got an id outside the vocabulary. */
  | 'UNKNOWN_ID';

export class TokenizerError extends Error {
  override readonly name = 'TokenizerError';
  constructor(
    readonly code: TokenizerErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
