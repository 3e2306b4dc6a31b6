// Gemma 4 tool-call text (spec §3.2, §3.4-3.5) to a name and JSON-ready arguments. The input is the decoded body of
// one call (`call:NAME{key:value,…}`) with the string-delimiter token 52 mapped to QUOTE, so a literal `<|"|>` in
// ordinary pieces can never be mistaken for it. Tolerant as the spec asks: bare keys, <|"|> strings, raw "…" or '…'
// strings, a missing closing <|"|> or brace, spaces after : and ",", null/none/nil, bare words as strings.

/** Stands for the `<|"|>` token inside a call body (a Unicode noncharacter). */
export const QUOTE = '\uFDD2';

export interface ParsedCall {
  readonly name: string;
  readonly arguments: Record<string, unknown>;
  /** Repairs that were needed (missing brace, unterminated string, …); empty for a well-formed call. */
  readonly repairs: readonly string[];
}

export class CallSyntaxError extends Error {
  override readonly name = 'CallSyntaxError';
}

export function parseToolCall(body: string): ParsedCall {
  const p = new Parser(body);
  p.ws();
  if (p.rest().startsWith('call:')) p.i += 5;
  else p.repairs.push('no "call:" prefix');
  const open = body.indexOf('{', p.i);
  const name = (open < 0 ? body.slice(p.i) : body.slice(p.i, open)).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new CallSyntaxError(`not a tool name: ${JSON.stringify(name.slice(0, 40))}`);
  let args: Record<string, unknown> = {};
  if (open < 0) p.repairs.push('no argument object');
  else {
    p.i = open;
    args = p.object();
    p.ws();
    if (p.i < body.length) p.repairs.push('text after the arguments');
  }
  return { name, arguments: args, repairs: p.repairs };
}

class Parser {
  i = 0;
  readonly repairs: string[] = [];
  constructor(private readonly s: string) {}

  rest(): string {
    return this.s.slice(this.i);
  }
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) {
      this.repairs.push('missing value');
      return null;
    }
    if (c === QUOTE) return this.delimited();
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"' || c === "'") return this.quoted(c);
    return this.bare();
  }

  private delimited(): string {
    const end = this.s.indexOf(QUOTE, this.i + 1);
    if (end < 0) {
      this.repairs.push('unterminated <|"|> string');
      // Up to the structural end of the call: a closing brace at the very end belongs to the object.
      let text = this.s.slice(this.i + 1);
      const trimmed = text.replace(/\}+\s*$/, '');
      this.i = this.s.length - (text.length - trimmed.length);
      text = trimmed;
      return text;
    }
    const text = this.s.slice(this.i + 1, end);
    this.i = end + 1;
    return text;
  }

  private quoted(q: string): string {
    let j = this.i + 1;
    let out = '';
    while (j < this.s.length && this.s[j] !== q) {
      if (this.s[j] === '\\' && j + 1 < this.s.length) {
        const n = this.s[j + 1];
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        j += 2;
      } else out += this.s[j++];
    }
    if (j >= this.s.length) this.repairs.push('unterminated quoted string');
    this.repairs.push(`${q === '"' ? 'double' : 'single'}-quoted string`);
    this.i = j + 1;
    return out;
  }

  private bare(): unknown {
    const start = this.i;
    while (this.i < this.s.length && !',}]'.includes(this.s[this.i])) this.i++;
    const word = this.s.slice(start, this.i).trim();
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null' || word === 'none' || word === 'None' || word === 'nil') return null;
    if (/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(word)) return Number(word);
    return word;
  }

  object(): Record<string, unknown> {
    this.i++; // {
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === undefined) {
        this.repairs.push('missing }');
        return out;
      }
      if (c === '}') {
        this.i++;
        return out;
      }
      if (c === ',') {
        this.i++;
        continue;
      }
      let key: string;
      if (c === QUOTE) key = this.delimited();
      else if (c === '"' || c === "'") key = this.quoted(c);
      else {
        const start = this.i;
        while (this.i < this.s.length && !':,}'.includes(this.s[this.i])) this.i++;
        key = this.s.slice(start, this.i).trim();
      }
      this.ws();
      if (this.s[this.i] !== ':') {
        this.repairs.push(`key "${key}" without a value`);
        if (key) out[key] = null;
        continue;
      }
      this.i++;
      out[key] = this.value();
    }
  }

  private array(): unknown[] {
    this.i++; // [
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === undefined) {
        this.repairs.push('missing ]');
        return out;
      }
      if (c === ']') {
        this.i++;
        return out;
      }
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.repairs.push('missing ]');
        return out;
      }
      out.push(this.value());
    }
  }
}
