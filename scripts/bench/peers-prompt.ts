// The prompt of `npm run bench:peers` for wllama. Its completion API takes text only (a prompt of token ids fails
// in llama.cpp's JSON parsing), so the text is built with the file's own tokenizer to be exactly `tokens` long with
// BOS, as our CPU path's prompt is; wllama reports how many it evaluated and the benchmark checks the two agree.
// Generated files hold random weights, so greedy output can be a lone byte piece (<0xBB>), which llama.cpp cannot
// put in its JSON answer: those ids are returned for a logit bias that keeps them out (sampling stays greedy).
import { readGgufHeader } from '../../src/gguf/reader.js';
import { Tokenizer } from '../../src/runtime/tokenizer/tokenizer.js';
import { vocabFromGguf } from '../../src/runtime/tokenizer/tokenizer-gguf.js';
import { bytePieceValue } from '../../src/runtime/tokenizer/tokenizer-vocab.js';
import { openFileSource } from '../node-file-source.js';

const WORDS = 'the quick brown fox jumps over a lazy dog while seven small birds sing in the old green tree near our house'.split(' ');

export interface PeersPrompt {
  readonly text: string;
  /** Token count of `text` with BOS, by the file's tokenizer (equal to the asked length unless the vocabulary cannot). */
  readonly tokens: number;
  /** Byte-piece ids (<0x00>..<0xFF>). */
  readonly byteTokenIds: number[];
}

export async function peersPrompt(modelPath: string, tokens: number): Promise<PeersPrompt> {
  const source = await openFileSource(modelPath);
  try {
    const vocab = vocabFromGguf(await readGgufHeader(source));
    const tokenizer = Tokenizer.fromVocab(vocab);
    const count = (t: string) => tokenizer.encode(t, { addBos: true, parseSpecial: false }).length;
    // Add words while they fit; a word that would overshoot (it splits into pieces) is skipped for the next.
    let text = '';
    for (let i = 0, misses = 0; count(text) < tokens && misses < WORDS.length; i++) {
      const next = `${text}${text ? ' ' : ''}${WORDS[i % WORDS.length]}`;
      if (count(next) <= tokens) {
        text = next;
        misses = 0;
      } else misses++;
    }
    const byteTokenIds = vocab.tokens.flatMap((piece, id) => (bytePieceValue(piece) >= 0 ? [id] : []));
    return { text, tokens: count(text), byteTokenIds };
  } finally {
    await source.close();
  }
}
