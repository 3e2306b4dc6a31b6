// Tokenizer: the Gemma 4 tokenizer (SentencePiece-style BPE with byte fallback) built from GGUF metadata.
// Text -> ids (special tokens verbatim, newline-run pre-split, spaces as ▁, merges by rank) and ids -> text,
// including a streaming decoder that only ever returns complete characters.
import type { GgufHeader } from '../../gguf/types.js';
import { BpeModel } from './bpe.js';
import { SpecialTokenMatcher } from './special-token-matcher.js';
import { TokenIndex, hashTokens } from './token-index.js';
import { TokenizerError } from './tokenizer-errors.js';
import { vocabFromGguf, TOKENIZER_KEYS } from './tokenizer-gguf.js';
import { TokenType, bytePieceValue } from './tokenizer-vocab.js';
import type { TokenizerVocab } from './tokenizer-vocab.js';
import { Utf8StreamDecoder } from './utf8-stream-decoder.js';

export interface EncodeOptions {
  /**
   * Put BOS first (default false: the Gemma 4 chat template writes `<bos>` itself). Never adds a second one:
   * when the ids already start with BOS (the text began with `<bos>`), nothing is added.
   */
  readonly addBos?: boolean;
  /**
   * Recognise control and user-defined token strings (`<|turn>`, `<|"|>`, `<bos>` …) in the text (default
   * true, for rendered prompts). Pass false for untrusted text: such strings then stay ordinary characters.
   */
  readonly parseSpecial?: boolean;
}

export interface DecodeOptions {
  /**
   * Drop control tokens (`<bos>`, `<|turn>`, `<eos>` …). User-defined markers (`<|tool_call>`, `<|"|>`,
   * `<|channel>` …) are always kept, as llama.cpp renders them, so tool calls stay parseable. Default false.
   */
  readonly skipSpecial?: boolean;
}

/** Turns generated ids into text as they arrive; never returns part of a character. */
export interface StreamDecoder {
  /** Adds one id; returns the text it completes (possibly ''). */
  push(id: number): string;
  /** Ends the stream; an unfinished byte sequence comes out as U+FFFD. */
  flush(): string;
}

/** Tokens llama.cpp treats as end-of-generation by their text (gemma4-io.md §1.4, §2.8). */
const STOP_TEXTS = ['<eos>', '<turn|>', '<|tool_response>'];
const META_SPACE = /\u2581/g;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const META_SPACE_CODE = 0x2581;
/** Words up to this many UTF-16 units are cached. */
const CACHE_MAX_SEGMENT = 64;
const CACHE_MAX_ENTRIES = 65536;

const ID_KEYS = {
  bosId: TOKENIZER_KEYS.bos,
  eosId: TOKENIZER_KEYS.eos,
  unknownId: TOKENIZER_KEYS.unknown,
  paddingId: TOKENIZER_KEYS.padding,
  eotId: TOKENIZER_KEYS.eot,
} as const;

function isSpecialType(t: number): boolean {
  return t === TokenType.CONTROL || t === TokenType.USER_DEFINED || t === TokenType.UNKNOWN;
}

export class Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly unknownId: number | undefined;
  readonly paddingId: number | undefined;
  /** tokenizer.ggml.add_bos_token as the file states it (llama.cpp forces true for Gemma 4). */
  readonly addBosToken: boolean;
  /** Ids that end generation: EOS, EOT when named, and `<eos>`, `<turn|>`, `<|tool_response>` by text. */
  readonly stopIds: readonly number[];

  private readonly tokens: readonly string[];
  private readonly types: Uint8Array;
  /** Byte value of each `<0xXX>` piece, -1 for other tokens. */
  private readonly byteValues: Int16Array;
  private readonly index: TokenIndex;
  private readonly bpe: BpeModel;
  private readonly specials: SpecialTokenMatcher;
  private readonly textCache: (string | undefined)[];
  private readonly segmentCache = new Map<string, readonly number[]>();
  private readonly batchDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  /** Builds the tokenizer from a parsed GGUF header (tokenizer.ggml.* keys). */
  static fromGguf(header: Pick<GgufHeader, 'metadata'>): Tokenizer {
    return new Tokenizer(vocabFromGguf(header));
  }

  /** Builds the tokenizer from plain arrays (the same content as the GGUF keys). */
  static fromVocab(vocab: TokenizerVocab): Tokenizer {
    return new Tokenizer(vocab);
  }

  private constructor(vocab: TokenizerVocab) {
    const tokens = vocab.tokens;
    const n = tokens.length;
    if (n === 0) throw new TokenizerError('BAD_LENGTH', `${TOKENIZER_KEYS.tokens} is empty`, { key: TOKENIZER_KEYS.tokens });
    for (const [key, arr] of [
      [TOKENIZER_KEYS.tokenType, vocab.tokenTypes],
      [TOKENIZER_KEYS.scores, vocab.scores],
    ] as const) {
      if (arr && arr.length !== n) {
        throw new TokenizerError('BAD_LENGTH', `${key} has ${arr.length} entries but ${TOKENIZER_KEYS.tokens} has ${n}`, {
          key,
          length: arr.length,
          expected: n,
        });
      }
    }
    for (const field of Object.keys(ID_KEYS) as (keyof typeof ID_KEYS)[]) {
      const id = vocab[field];
      if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id < n)) {
        throw new TokenizerError('BAD_TOKEN_ID', `${ID_KEYS[field]} = ${id} is outside the vocabulary (0…${n - 1})`, { key: ID_KEYS[field], id });
      }
    }
    this.tokens = tokens;
    this.vocabSize = n;

    // Token texts -> ids; for a text that appears twice the later id wins (as in llama.cpp).
    const hashes = hashTokens(tokens);
    this.index = new TokenIndex(tokens, undefined, hashes);
    this.bosId = vocab.bosId ?? this.idOf('<bos>');
    this.eosId = vocab.eosId ?? this.idOf('<eos>');
    this.unknownId = vocab.unknownId ?? this.idOf('<unk>');
    this.paddingId = vocab.paddingId ?? this.idOf('<pad>');
    this.addBosToken = vocab.addBosToken ?? true;

    // Types: from the file, else inferred (byte pieces by their form, the named special ids as control).
    const types = new Uint8Array(n);
    const byteValues = new Int16Array(n).fill(-1);
    const byteIds = new Int32Array(256).fill(-1);
    const given = vocab.tokenTypes;
    for (let i = 0; i < n; i++) {
      let t = given ? given[i] : TokenType.NORMAL;
      const b = bytePieceValue(tokens[i]);
      if (!given && b >= 0) t = TokenType.BYTE;
      if (t === TokenType.BYTE && b >= 0) {
        byteValues[i] = b;
        if (byteIds[b] < 0) byteIds[b] = i;
      }
      types[i] = t;
    }
    if (!given) {
      for (const id of [this.bosId, this.eosId, this.unknownId, this.paddingId, vocab.eotId]) if (id !== undefined) types[id] = TokenType.CONTROL;
    }
    this.types = types;
    this.byteValues = byteValues;

    // BPE sees ordinary pieces only, so merges can never produce a control, user-defined or byte token.
    const specialEntries: [string, number][] = [];
    for (let i = 0; i < n; i++) if (isSpecialType(types[i])) specialEntries.push([tokens[i], i]);
    this.specials = new SpecialTokenMatcher(specialEntries);
    const isPiece = (id: number): boolean => types[id] !== TokenType.BYTE && !isSpecialType(types[id]);
    this.bpe = new BpeModel({ tokens, isPiece, merges: vocab.merges, tokenHashes: hashes, byteIds, unknownId: this.unknownId ?? -1 });
    this.textCache = new Array<string | undefined>(n);

    const stops = new Set<number>();
    for (const id of [this.eosId, vocab.eotId, ...STOP_TEXTS.map((s) => this.idOf(s))]) if (id !== undefined) stops.add(id);
    this.stopIds = [...stops];
  }

  /** Text -> ids. See EncodeOptions for BOS and special-token handling. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    if (options.parseSpecial ?? true) {
      this.specials.split(
        text,
        (plain) => this.encodePlain(plain, out),
        (id) => out.push(id),
      );
    } else {
      this.encodePlain(text, out);
    }
    if (options.addBos && this.bosId !== undefined && out[0] !== this.bosId) out.unshift(this.bosId);
    return out;
  }

  /**
   * A rendered prompt given as pieces: control tokens are recognised only inside `special` pieces (the template's
   * structure); the other pieces are untrusted text whose `<|turn>` look-alikes stay ordinary characters. Plain text
   * is joined across piece boundaries before BPE, so the ids equal encode(whole text) whenever the untrusted text
   * holds no token look-alikes. Never adds BOS (the template writes `<bos>`).
   */
  encodeSegments(segments: Iterable<{ readonly text: string; readonly special: boolean }>): number[] {
    const out: number[] = [];
    let plain = '';
    const flush = () => {
      if (plain !== '') this.encodePlain(plain, out);
      plain = '';
    };
    for (const seg of segments) {
      if (!seg.special) {
        plain += seg.text;
        continue;
      }
      this.specials.split(
        seg.text,
        (text) => (plain += text),
        (id) => {
          flush();
          out.push(id);
        },
      );
    }
    flush();
    return out;
  }

  /**
   * Ordinary text: runs of `\n` and runs of everything else (llama.cpp's Gemma 4 pre-split); lines are further cut
   * into words before each run of spaces where that cannot change the result (BpeModel.canSplitBeforeSpace), so
   * repeated words hit the cache. Each piece then goes through BPE.
   */
  private encodePlain(text: string, out: number[]): void {
    const n = text.length;
    let i = 0;
    while (i < n) {
      if (text.charCodeAt(i) === NEWLINE) {
        let end = i + 1;
        while (end < n && text.charCodeAt(end) === NEWLINE) end++;
        this.encodeSegment(text.slice(i, end), out);
        i = end;
        continue;
      }
      let wordStart = i;
      let prevSpace = true;
      let j = i;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c === NEWLINE) break;
        const space = c === SPACE || c === META_SPACE_CODE;
        if (space && !prevSpace && this.bpe.canSplitBeforeSpace(text, j)) {
          this.encodeSegment(text.slice(wordStart, j), out);
          wordStart = j;
        }
        prevSpace = space;
      }
      this.encodeSegment(wordStart === 0 && j === n ? text : text.slice(wordStart, j), out);
      i = j;
    }
  }

  private encodeSegment(segment: string, out: number[]): void {
    if (segment.length > CACHE_MAX_SEGMENT) {
      this.bpe.encodeSegment(segment, out);
      return;
    }
    let ids = this.segmentCache.get(segment);
    if (!ids) {
      const fresh: number[] = [];
      this.bpe.encodeSegment(segment, fresh);
      if (this.segmentCache.size >= CACHE_MAX_ENTRIES) this.segmentCache.clear();
      this.segmentCache.set(segment, fresh);
      ids = fresh;
    }
    for (let i = 0; i < ids.length; i++) out.push(ids[i]);
  }

  /** Ids -> text: `▁` becomes a space, byte pieces are reassembled as UTF-8 (invalid bytes -> U+FFFD). */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecial ?? false;
    let text = '';
    let bytes: number[] = [];
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      this.checkId(id);
      const b = this.byteValues[id];
      if (b >= 0) {
        bytes.push(b);
        continue;
      }
      if (bytes.length > 0) {
        text += this.batchDecoder.decode(Uint8Array.from(bytes));
        bytes = [];
      }
      if (skip && this.types[id] === TokenType.CONTROL) continue;
      text += this.pieceText(id);
    }
    if (bytes.length > 0) text += this.batchDecoder.decode(Uint8Array.from(bytes));
    return text;
  }

  /** A decoder for generated ids, one at a time; the concatenation of its output equals decode(all ids). */
  createStreamDecoder(options: DecodeOptions = {}): StreamDecoder {
    const skip = options.skipSpecial ?? false;
    const utf8 = new Utf8StreamDecoder();
    return {
      push: (id: number): string => {
        this.checkId(id);
        const b = this.byteValues[id];
        if (b >= 0) return utf8.pushByte(b);
        if (skip && this.types[id] === TokenType.CONTROL) return utf8.pushText('');
        return utf8.pushText(this.pieceText(id));
      },
      flush: (): string => utf8.flush(),
    };
  }

  /** The id of a token text (exactly as stored, e.g. `▁the`, `<|turn>`), or undefined. */
  idOf(token: string): number | undefined {
    const id = this.index.get(token);
    return id < 0 ? undefined : id;
  }

  /** The stored text of a token (with `▁`, `<0xXX>` as is). */
  tokenOf(id: number): string {
    this.checkId(id);
    return this.tokens[id];
  }

  /** The GGUF token type of an id. */
  tokenType(id: number): TokenType {
    this.checkId(id);
    return this.types[id] as TokenType;
  }

  /** True for control, user-defined and unknown tokens: the ones matched verbatim when parsing specials. */
  isSpecial(id: number): boolean {
    return isSpecialType(this.tokenType(id));
  }

  /** True when `id` ends generation (see stopIds). */
  isStop(id: number): boolean {
    return this.stopIds.includes(id);
  }

  private pieceText(id: number): string {
    let s = this.textCache[id];
    if (s === undefined) {
      const t = this.types[id];
      const raw = this.tokens[id];
      s = t === TokenType.CONTROL || t === TokenType.USER_DEFINED ? raw : raw.replace(META_SPACE, ' ');
      this.textCache[id] = s;
    }
    return s;
  }

  private checkId(id: number): void {
    if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) {
      throw new TokenizerError('UNKNOWN_ID', `Token id ${id} is outside the vocabulary (0…${this.vocabSize - 1})`, { id });
    }
  }
}
