// The plain-array form of a tokenizer vocabulary (what GGUF tokenizer.ggml.* keys hold), and token types.
// Both Tokenizer.fromGguf and Tokenizer.fromVocab reduce to this shape.

/** GGUF / llama.cpp token types (tokenizer.ggml.token_type). */
export enum TokenType {
  UNDEFINED = 0,
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}

export interface TokenizerVocab {
  /** Token strings by id (tokenizer.ggml.tokens). Spaces inside ordinary pieces are spelled `▁` (U+2581). */
  readonly tokens: readonly string[];
  /** BPE merges by rank, each `"left right"` (tokenizer.ggml.merges). */
  readonly merges: readonly string[];
  /** Token types by id (tokenizer.ggml.token_type). Missing: byte pieces are recognised by their `<0xXX>` form, the rest are NORMAL. */
  readonly tokenTypes?: ArrayLike<number>;
  /** Scores by id (tokenizer.ggml.scores). Kept for completeness; BPE ranks come from the merges. */
  readonly scores?: ArrayLike<number>;
  readonly bosId?: number;
  readonly eosId?: number;
  readonly unknownId?: number;
  readonly paddingId?: number;
  /** End-of-turn id when the file names one (tokenizer.ggml.eot_token_id). */
  readonly eotId?: number;
  /** tokenizer.ggml.add_bos_token. Reported as `Tokenizer.addBosToken`; encode() adds BOS only when asked. */
  readonly addBosToken?: boolean;
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/** The byte a `<0xXX>` piece stands for, or -1. */
export function bytePieceValue(piece: string): number {
  if (piece.length !== 6) return -1;
  const m = BYTE_PIECE.exec(piece);
  return m ? parseInt(m[1], 16) : -1;
}
