// The vocabulary as XGrammar sees it. XGrammar matches grammars on text, so a special token such as <|tool_call>
// would also match the ordinary pieces `<`, `|`, `tool`, ... spelt one after another. To match special tokens as
// tokens only, each named control / user-defined token is given a private spelling: SENTINEL_LEAD (U+000E) and two
// printable characters. Nothing else can produce U+000E: its byte-fallback piece <0x0E> and the (rare) ordinary
// pieces containing it are hidden from XGrammar (empty string = never allowed), so a grammar literal for the
// sentinel can only be matched by that one token. Free-text classes exclude U+000E ([^\x0e]) and JSON strings
// exclude control characters, so no special token ever appears inside a string either.
// (Sentinels are ASCII on purpose: XGrammar's non-ASCII character classes are approximated at the byte level and
// would let a private-use code point through a class that excludes it; measured with @mlc-ai/web-xgrammar 0.1.27.)
import type { TokenizerVocab } from '../tokenizer/tokenizer-vocab.js';
import { TokenType, bytePieceValue } from '../tokenizer/tokenizer-vocab.js';

export const SENTINEL_LEAD = '\x0e';
const FIRST = 0x21;
const SPAN = 0x7f - FIRST; // printable ASCII 0x21..0x7e

export interface GrammarVocabulary {
  /** One string per token id for TokenizerInfo (vocabType "byte_fallback"); "" = a token XGrammar never allows. */
  readonly encoded: string[];
  readonly vocabSize: number;
  /** End-of-generation ids (allowed by a matcher once its grammar is complete). */
  readonly stopIds: readonly number[];
  /** Token id -> sentinel, for every special token a grammar can name. */
  readonly sentinels: ReadonlyMap<number, string>;
  /** Special token text (`<|tool_call>`) -> id. */
  readonly specialIds: ReadonlyMap<string, number>;
  /**
   * Byte-fallback pieces <0x80>..<0xFF>. XGrammar checks multi-byte characters assembled from single bytes only
   * loosely (it accepted invalid UTF-8 and miscounted maxLength in our tests), so constrained steps leave them out
   * and write non-ASCII text with ordinary pieces, which are whole characters.
   */
  readonly highByteIds: readonly number[];
}

const UNUSED_NAME = /^<unused\d+>$/;

export function buildGrammarVocabulary(vocab: Pick<TokenizerVocab, 'tokens' | 'tokenTypes'>, stopIds: readonly number[]): GrammarVocabulary {
  const stops = new Set(stopIds);
  const sentinels = new Map<number, string>();
  const specialIds = new Map<string, number>();
  const encoded = new Array<string>(vocab.tokens.length);
  const highByteIds: number[] = [];
  for (let id = 0; id < vocab.tokens.length; id++) {
    const piece = vocab.tokens[id];
    const type = vocab.tokenTypes?.[id] ?? (bytePieceValue(piece) >= 0 ? TokenType.BYTE : TokenType.NORMAL);
    if (stops.has(id)) {
      encoded[id] = '';
    } else if (type === TokenType.CONTROL || type === TokenType.USER_DEFINED) {
      if (UNUSED_NAME.test(piece) || piece === '') {
        encoded[id] = '';
        continue;
      }
      const n = sentinels.size;
      if (n >= SPAN * SPAN) throw new RangeError(`more than ${SPAN * SPAN} special tokens`);
      const s = SENTINEL_LEAD + String.fromCharCode(FIRST + Math.floor(n / SPAN), FIRST + (n % SPAN));
      sentinels.set(id, s);
      specialIds.set(piece, id);
      encoded[id] = s;
    } else if (type === TokenType.BYTE) {
      const byte = bytePieceValue(piece);
      encoded[id] = byte === SENTINEL_LEAD.charCodeAt(0) ? '' : piece;
      if (byte >= 0x80) highByteIds.push(id);
    } else if (type === TokenType.NORMAL || type === TokenType.UNDEFINED) {
      encoded[id] = piece.includes(SENTINEL_LEAD) ? '' : piece;
    } else {
      encoded[id] = ''; // UNKNOWN, UNUSED
    }
  }
  return { encoded, vocabSize: vocab.tokens.length, stopIds: [...stopIds], sentinels, specialIds, highByteIds };
}

/** An EBNF string literal for `text` (quotes included): backslash, quote and control characters escaped. */
export function ebnfLiteral(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** The EBNF literal matching special token `id` (and nothing else). */
export function specialLiteral(v: GrammarVocabulary, id: number): string {
  const s = v.sentinels.get(id);
  if (s === undefined) throw new RangeError(`token ${id} is not a special token a grammar can name`);
  return ebnfLiteral(s);
}

/**
 * Rewrites a user grammar or tag string so that special-token text in it (`<|"|>`, `<|tool_call>`) means the token:
 * each occurrence is replaced by the token's sentinel. Returns the text and the ids it names.
 */
export function substituteSpecials(v: GrammarVocabulary, text: string, asEbnf: boolean): { text: string; ids: Set<number> } {
  const ids = new Set<number>();
  // Longest names first, so `<|tool_call>` is not read as `<|tool>` + ...
  const names = [...v.specialIds.keys()].sort((a, b) => b.length - a.length);
  let out = text;
  for (const name of names) {
    const id = v.specialIds.get(name)!;
    const s = v.sentinels.get(id)!;
    // In EBNF source `<|"|>` is written inside a literal as `<|\"|>`: match that spelling too.
    const forms = asEbnf ? [...new Set([ebnfLiteral(name).slice(1, -1), name])] : [name];
    for (const form of forms) {
      if (!out.includes(form)) continue;
      ids.add(id);
      out = out.split(form).join(asEbnf ? ebnfLiteral(s).slice(1, -1) : s);
    }
  }
  return { text: out, ids };
}
