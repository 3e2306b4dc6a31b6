// TEMPORARY, test-only: a strict reader of Gemma 4 call blocks (<|tool_call>call:NAME{...}<tool_call|>) on token
// ids, for the validity tests until the chat-completions parser (runtime/chat/tool-call-parser.ts, branch api) is
// merged; then the tests use that parser and this file goes.
import type { Tokenizer } from '../tokenizer.js';

export interface TestParsedCall {
  readonly name: string;
  readonly arguments: Record<string, unknown>;
}

const OPEN = 48;
const CLOSE = 49;
const QUOTE_ID = 52;
const QUOTE = '\uFDD2';

/** Every call in `ids`; anything else (text, a malformed or unterminated call) throws. */
export function parseGemmaCalls(ids: readonly number[], tokenizer: Tokenizer): TestParsedCall[] {
  const calls: TestParsedCall[] = [];
  let i = 0;
  while (i < ids.length) {
    if (ids[i] !== OPEN) throw new Error(`expected <|tool_call> at token ${i}`);
    const end = ids.indexOf(CLOSE, i + 1);
    if (end < 0) throw new Error('unterminated call');
    // Ordinary runs decoded together (multi-byte characters may span tokens); the delimiter token becomes QUOTE.
    let text = '';
    let run: number[] = [];
    for (const id of ids.slice(i + 1, end)) {
      if (id === QUOTE_ID) {
        text += tokenizer.decode(run) + QUOTE;
        run = [];
      } else run.push(id);
    }
    text += tokenizer.decode(run);
    calls.push(parseBody(text));
    i = end + 1;
  }
  return calls;
}

function parseBody(text: string): TestParsedCall {
  const m = /^call:([A-Za-z_][A-Za-z0-9_.-]*)\{/.exec(text);
  if (!m) throw new Error(`not call:NAME{: ${text.slice(0, 40)}`);
  let p = m[0].length - 1;
  const fail = (what: string): never => {
    throw new Error(`${what} at ${p}: ${text}`);
  };
  const value = (): unknown => {
    const ch = text[p];
    if (ch === QUOTE) {
      const close = text.indexOf(QUOTE, p + 1);
      if (close < 0) fail('unterminated string');
      const s = text.slice(p + 1, close);
      p = close + 1;
      return s;
    }
    if (ch === '{') {
      p++;
      const obj: Record<string, unknown> = {};
      if (text[p] === '}') {
        p++;
        return obj;
      }
      for (;;) {
        const colon = text.indexOf(':', p);
        if (colon < 0) fail('key without ":"');
        const key = text.slice(p, colon);
        if (!/^[^\s,{}[\]]+$/.test(key)) fail(`bad key ${JSON.stringify(key)}`);
        if (key in obj) fail(`duplicate key ${key}`);
        p = colon + 1;
        obj[key] = value();
        if (text[p] === ',') p++;
        else if (text[p] === '}') {
          p++;
          return obj;
        } else fail('expected , or }');
      }
    }
    if (ch === '[') {
      p++;
      const arr: unknown[] = [];
      if (text[p] === ']') {
        p++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        if (text[p] === ',') p++;
        else if (text[p] === ']') {
          p++;
          return arr;
        } else fail('expected , or ]');
      }
    }
    const lit = /^(true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)/.exec(text.slice(p));
    if (!lit) fail('expected a value');
    p += lit![0].length;
    return JSON.parse(lit![0]);
  };
  const args = value() as Record<string, unknown>;
  if (p !== text.length) fail('text after the arguments');
  return { name: m[1], arguments: args };
}
