// Reads the tokenizer.ggml.* metadata of a GGUF header into plain arrays (TokenizerVocab), checking the
// keys' types and lengths and which tokenizer the file asks for. Errors name the offending key.
import { GgufValueType } from '../../gguf/types.js';
import type { GgufHeader, GgufMetadataEntry, GgufValue } from '../../gguf/types.js';
import { TokenizerError } from './tokenizer-errors.js';
import type { TokenizerVocab } from './tokenizer-vocab.js';

export const TOKENIZER_KEYS = {
  model: 'tokenizer.ggml.model',
  pre: 'tokenizer.ggml.pre',
  tokens: 'tokenizer.ggml.tokens',
  merges: 'tokenizer.ggml.merges',
  scores: 'tokenizer.ggml.scores',
  tokenType: 'tokenizer.ggml.token_type',
  bos: 'tokenizer.ggml.bos_token_id',
  eos: 'tokenizer.ggml.eos_token_id',
  unknown: 'tokenizer.ggml.unknown_token_id',
  padding: 'tokenizer.ggml.padding_token_id',
  eot: 'tokenizer.ggml.eot_token_id',
  addBos: 'tokenizer.ggml.add_bos_token',
} as const;

const INTEGER_TYPES = new Set([
  GgufValueType.UINT8,
  GgufValueType.INT8,
  GgufValueType.UINT16,
  GgufValueType.INT16,
  GgufValueType.UINT32,
  GgufValueType.INT32,
  GgufValueType.UINT64,
  GgufValueType.INT64,
]);
const NUMBER_TYPES = new Set([...INTEGER_TYPES, GgufValueType.FLOAT32, GgufValueType.FLOAT64]);

type Metadata = GgufHeader['metadata'];

function wrongType(key: string, want: string, entry: GgufMetadataEntry): TokenizerError {
  return new TokenizerError('WRONG_KEY_TYPE', `GGUF key ${key} must be ${want} (found type ${GgufValueType[entry.type] ?? entry.type})`, {
    key,
    type: entry.type,
  });
}

function arrayValues(meta: Metadata, key: string, elementTypes: ReadonlySet<GgufValueType>, want: string): readonly GgufValue[] | undefined {
  const entry = meta.get(key);
  if (!entry) return undefined;
  const v = entry.value;
  if (entry.type !== GgufValueType.ARRAY || typeof v !== 'object' || v === null || v.kind !== 'array') throw wrongType(key, want, entry);
  if (v.values.length > 0 && !elementTypes.has(v.elementType)) throw wrongType(key, want, entry);
  return v.values;
}

function stringArray(meta: Metadata, key: string): string[] | undefined {
  const values = arrayValues(meta, key, new Set([GgufValueType.STRING]), 'an array of strings');
  if (!values) return undefined;
  // The element type was checked; the cast is safe for every value a reader produces for STRING arrays.
  return values as string[];
}

function numberArray(meta: Metadata, key: string, types: ReadonlySet<GgufValueType>, want: string): number[] | undefined {
  const values = arrayValues(meta, key, types, want);
  if (!values) return undefined;
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
  return out;
}

function stringValue(meta: Metadata, key: string): string | undefined {
  const entry = meta.get(key);
  if (!entry) return undefined;
  if (entry.type !== GgufValueType.STRING || typeof entry.value !== 'string') throw wrongType(key, 'a string', entry);
  return entry.value;
}

function intValue(meta: Metadata, key: string): number | undefined {
  const entry = meta.get(key);
  if (!entry) return undefined;
  if (!INTEGER_TYPES.has(entry.type) || (typeof entry.value !== 'number' && typeof entry.value !== 'bigint')) throw wrongType(key, 'an integer', entry);
  return Number(entry.value);
}

function boolValue(meta: Metadata, key: string): boolean | undefined {
  const entry = meta.get(key);
  if (!entry) return undefined;
  if (entry.type !== GgufValueType.BOOL || typeof entry.value !== 'boolean') throw wrongType(key, 'a bool', entry);
  return entry.value;
}

/**
 * Checks that the file asks for the Gemma 4 tokenizer: tokenizer.ggml.model "gemma4" (llama.cpp's converter),
 * or "llama" with tokenizer.ggml.pre "gemma4" (Ollama's converter).
 */
function checkModel(meta: Metadata): void {
  const model = stringValue(meta, TOKENIZER_KEYS.model);
  if (model === undefined) {
    throw new TokenizerError('MISSING_KEY', `GGUF has no ${TOKENIZER_KEYS.model}; cannot tell which tokenizer to build`, { key: TOKENIZER_KEYS.model });
  }
  const pre = stringValue(meta, TOKENIZER_KEYS.pre);
  if (model === 'gemma4' || (model === 'llama' && pre === 'gemma4')) return;
  throw new TokenizerError(
    'UNSUPPORTED_MODEL',
    `Unsupported tokenizer: ${TOKENIZER_KEYS.model}="${model}"${pre === undefined ? '' : `, ${TOKENIZER_KEYS.pre}="${pre}"`}; ` +
      'only the Gemma 4 tokenizer ("gemma4", or "llama" with pre "gemma4") is implemented',
    { key: TOKENIZER_KEYS.model, model, pre },
  );
}

/** Reads and validates the tokenizer arrays and ids of a Gemma 4 GGUF. */
export function vocabFromGguf(header: Pick<GgufHeader, 'metadata'>): TokenizerVocab {
  const meta = header.metadata;
  checkModel(meta);

  const tokens = stringArray(meta, TOKENIZER_KEYS.tokens);
  if (!tokens) throw new TokenizerError('MISSING_KEY', `GGUF has no ${TOKENIZER_KEYS.tokens}`, { key: TOKENIZER_KEYS.tokens });
  if (tokens.length === 0) throw new TokenizerError('BAD_LENGTH', `GGUF key ${TOKENIZER_KEYS.tokens} is empty`, { key: TOKENIZER_KEYS.tokens });

  const merges = stringArray(meta, TOKENIZER_KEYS.merges);
  if (!merges) {
    throw new TokenizerError('MISSING_KEY', `GGUF has no ${TOKENIZER_KEYS.merges} (required by the Gemma 4 BPE tokenizer)`, {
      key: TOKENIZER_KEYS.merges,
    });
  }

  const scores = numberArray(meta, TOKENIZER_KEYS.scores, NUMBER_TYPES, 'an array of numbers');
  const tokenTypes = numberArray(meta, TOKENIZER_KEYS.tokenType, INTEGER_TYPES, 'an array of integers');
  for (const [key, arr] of [
    [TOKENIZER_KEYS.scores, scores],
    [TOKENIZER_KEYS.tokenType, tokenTypes],
  ] as const) {
    if (arr && arr.length !== tokens.length) {
      throw new TokenizerError('BAD_LENGTH', `GGUF key ${key} has ${arr.length} entries but ${TOKENIZER_KEYS.tokens} has ${tokens.length}`, {
        key,
        length: arr.length,
        expected: tokens.length,
      });
    }
  }

  return {
    tokens,
    merges,
    scores,
    tokenTypes,
    bosId: intValue(meta, TOKENIZER_KEYS.bos),
    eosId: intValue(meta, TOKENIZER_KEYS.eos),
    unknownId: intValue(meta, TOKENIZER_KEYS.unknown),
    paddingId: intValue(meta, TOKENIZER_KEYS.padding),
    eotId: intValue(meta, TOKENIZER_KEYS.eot),
    addBosToken: boolValue(meta, TOKENIZER_KEYS.addBos),
  };
}
