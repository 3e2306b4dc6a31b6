// The built-in Gemma 4 chat renderer (spec gemma4-io.md §2-3): messages + tools -> prompt segments, byte for byte
// what the 2026-07-09 E2B/E4B template renders (checked on the spec's worked examples), for files without a
// template or with one that fails. Structure is marked special; every string from a user, tool or system prompt is
// marked plain text so its control-token look-alikes stay text.
import type { ChatMessage, MessageContent, PromptSegment, RenderOptions, ToolCall, ToolDeclaration, ToolSchema } from './types.js';

const Q = '<|"|>';

/** Collects segments, merging neighbours of the same kind. */
export class SegmentWriter {
  readonly segments: PromptSegment[] = [];
  special(text: string): this {
    return this.push(text, true);
  }
  text(text: string): this {
    return this.push(text, false);
  }
  private push(text: string, special: boolean): this {
    if (text === '') return this;
    const last = this.segments[this.segments.length - 1];
    if (last && last.special === special) this.segments[this.segments.length - 1] = { text: last.text + text, special };
    else this.segments.push({ text, special });
    return this;
  }
}

/** Jinja's dictsort: keys compared case-insensitively, ties in insertion order (a stable sort). */
export function dictsortKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort((a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Gemma's value syntax: strings in <|"|>, bare numbers/booleans/null, {k:v} with sorted keys, [a,b]. */
export function writeValue(w: SegmentWriter, v: unknown, quoteKeys: boolean): void {
  if (v === null || v === undefined) w.special('null');
  else if (typeof v === 'string') w.special(Q).text(v).special(Q);
  else if (typeof v === 'boolean') w.special(v ? 'true' : 'false');
  else if (Array.isArray(v)) {
    w.special('[');
    v.forEach((item, i) => {
      if (i > 0) w.special(',');
      writeValue(w, item, quoteKeys);
    });
    w.special(']');
  } else if (isMapping(v)) {
    w.special('{');
    dictsortKeys(v).forEach((k, i) => {
      if (i > 0) w.special(',');
      if (quoteKeys) w.special(Q).text(k).special(Q);
      else w.text(k);
      w.special(':');
      writeValue(w, v[k], quoteKeys);
    });
    w.special('}');
  } else w.special(String(v));
}

function writeRequired(w: SegmentWriter, required: readonly string[]): void {
  w.special('required:[');
  required.forEach((r, i) => {
    if (i > 0) w.special(',');
    w.special(Q).text(r).special(Q);
  });
  w.special(']');
}

/** One property's body, `key:{…}` (the template's format_parameters loop body). */
function writeProperty(w: SegmentWriter, key: string, p: ToolSchema): void {
  w.text(key).special(':{');
  let comma = false;
  const sep = () => {
    if (comma) w.special(',');
    comma = true;
  };
  if (p.description) {
    w.special(`description:${Q}`).text(p.description).special(Q);
    comma = true;
  }
  if (p.type === 'STRING' && p.enum && p.enum.length > 0) {
    sep();
    w.special('enum:');
    writeValue(w, p.enum, true);
  } else if (p.type === 'ARRAY' && p.items) {
    sep();
    writeItems(w, p.items);
  }
  if (p.nullable) {
    sep();
    w.special('nullable:true');
  }
  if (p.type === 'OBJECT') {
    sep();
    w.special('properties:{');
    writeProperties(w, p.properties ?? {});
    w.special('}');
    if (p.required && p.required.length > 0) {
      sep();
      writeRequired(w, p.required);
    }
  }
  sep();
  w.special(`type:${Q}${p.type}${Q}}`);
}

/** `items:{…}`: the item schema's keys in dictsort order, each in the template's items form. */
function writeItems(w: SegmentWriter, items: ToolSchema): void {
  w.special('items:{');
  const entries = items as unknown as Record<string, unknown>;
  let first = true;
  for (const k of dictsortKeys(entries)) {
    const v = entries[k];
    if (v === undefined || v === null) continue;
    if (!first) w.special(',');
    first = false;
    if (k === 'properties') {
      w.special('properties:{');
      writeProperties(w, v as Record<string, ToolSchema>);
      w.special('}');
    } else if (k === 'required') writeRequired(w, v as string[]);
    else if (k === 'type') w.special(`type:${Q}${String(v)}${Q}`);
    else {
      w.special(`${k}:`);
      writeValue(w, v, true);
    }
  }
  w.special('}');
}

function writeProperties(w: SegmentWriter, props: Readonly<Record<string, ToolSchema>>): void {
  dictsortKeys(props).forEach((k, i) => {
    if (i > 0) w.special(',');
    writeProperty(w, k, props[k]);
  });
}

export function writeDeclaration(w: SegmentWriter, t: ToolDeclaration): void {
  w.special('<|tool>declaration:').text(t.name).special(`{description:${Q}`).text(t.description ?? '').special(Q);
  const p = t.parameters;
  if (p) {
    w.special(',parameters:{');
    if (p.properties && Object.keys(p.properties).length > 0) {
      w.special('properties:{');
      writeProperties(w, p.properties);
      w.special('},');
    }
    if (p.required && p.required.length > 0) {
      writeRequired(w, p.required);
      w.special(',');
    }
    w.special(`type:${Q}${p.type}${Q}}`);
  }
  w.special('}<tool|>');
}

/** The template's strip_thinking: drops every `<|channel>…<channel|>` span, then trims. */
export function stripThinking(text: string): string {
  let out = '';
  for (const part of text.split('<channel|>')) out += part.includes('<|channel>') ? part.split('<|channel>')[0] : part;
  return out.trim();
}

function contentText(content: MessageContent | null | undefined, model: boolean): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return model ? stripThinking(content) : content.trim();
  return content.map((p) => (p.type === 'text' ? (model ? stripThinking(p.text) : p.text.trim()) : '')).join('');
}

function writeToolCall(w: SegmentWriter, c: ToolCall): void {
  w.special('<|tool_call>call:').text(c.name).special('{');
  const args = c.arguments ?? {};
  dictsortKeys(args).forEach((k, i) => {
    if (i > 0) w.special(',');
    w.text(k).special(':');
    writeValue(w, args[k], false);
  });
  w.special('}<tool_call|>');
}

function writeToolResponse(w: SegmentWriter, name: string, response: unknown): void {
  w.special('<|tool_response>response:').text(name).special('{');
  if (isMapping(response)) {
    dictsortKeys(response).forEach((k, i) => {
      if (i > 0) w.special(',');
      w.text(k).special(':');
      writeValue(w, response[k], false);
    });
  } else {
    w.special('value:');
    writeValue(w, response, false);
  }
  w.special('}<tool_response|>');
}

/** A tool message's body as the template sees it: text parts joined, a parsed object kept as is. */
function toolBody(content: unknown): unknown {
  if (Array.isArray(content)) return content.map((p) => (isMapping(p) && p.type === 'text' ? String(p.text ?? '') : '')).join('');
  return content;
}

/** Renders a conversation the way the Gemma 4 E2B/E4B template does. */
export function renderGemmaPrompt(messages: readonly ChatMessage[], options: RenderOptions = {}): PromptSegment[] {
  const w = new SegmentWriter();
  const thinking = options.enableThinking ?? false;
  const tools = options.tools ?? [];
  w.special('<bos>');
  let loop = messages;
  let prevType: 'think' | 'tool' | 'tool_call' | 'tool_response' | undefined;
  const first = messages[0];
  const hasSystem = first !== undefined && (first.role === 'system' || first.role === 'developer');
  if (thinking || tools.length > 0 || hasSystem) {
    w.special('<|turn>system\n');
    if (thinking) {
      w.special('<|think|>\n');
      prevType = 'think';
    }
    if (hasSystem) {
      const c = first.content;
      if (typeof c === 'string') w.text(c.trim());
      else for (const p of c) w.text(p.text.trim() + ' ');
      loop = messages.slice(1);
    }
    if (tools.length > 0) {
      for (const t of tools) writeDeclaration(w, t);
      prevType = 'tool';
    }
    w.special('<turn|>\n');
  }
  let lastUser = -1;
  loop.forEach((m, i) => {
    if (m.role === 'user') lastUser = i;
  });
  let prevNonToolRole: ChatMessage['role'] | undefined;
  for (let i = 0; i < loop.length; i++) {
    const m = loop[i];
    if (m.role === 'tool') continue;
    prevType = undefined;
    const role = m.role === 'assistant' ? 'model' : m.role;
    const continueTurn = role === 'model' && prevNonToolRole === 'assistant';
    if (!continueTurn) w.special(`<|turn>${role}\n`);
    let responded = false;
    let hasContent = false;
    if (m.role === 'assistant') {
      const keepThought = i > lastUser || ((options.preserveThinking ?? false) && (m.toolCalls?.length ?? 0) > 0);
      if (m.reasoning && keepThought) w.special('<|channel>thought\n').text(m.reasoning).special('\n<channel|>');
      const calls = m.toolCalls ?? [];
      for (const c of calls) writeToolCall(w, c);
      if (calls.length > 0) prevType = 'tool_call';
      if (m.toolResponses && m.toolResponses.length > 0) {
        for (const r of m.toolResponses) writeToolResponse(w, r.name || 'unknown', r.response);
        responded = true;
        prevType = 'tool_response';
      } else if (calls.length > 0) {
        for (let k = i + 1; k < loop.length; k++) {
          const f = loop[k];
          if (f.role !== 'tool') break;
          let name = f.name || 'unknown';
          for (const c of calls) if (c.id !== undefined && c.id === f.toolCallId) name = c.name;
          writeToolResponse(w, name, toolBody(f.content));
          responded = true;
          prevType = 'tool_response';
        }
      }
      const text = contentText(m.content, true);
      w.text(text);
      hasContent = text.trim().length > 0;
    } else {
      const text = contentText(m.content, false);
      w.text(text);
      hasContent = text.trim().length > 0;
    }
    let nextRole: ChatMessage['role'] | undefined;
    for (let j = i + 1; j < loop.length; j++) {
      if (loop[j].role !== 'tool') {
        nextRole = loop[j].role;
        break;
      }
    }
    const hasCalls = m.role === 'assistant' && (m.toolCalls?.length ?? 0) > 0;
    const continuesIntoNext = role === 'model' && nextRole === 'assistant' && (!hasCalls || responded);
    if (prevType === 'tool_call' && !responded) w.special('<|tool_response>');
    else if (continuesIntoNext) {
      // the next assistant message continues this model turn
    } else if (!(responded && !hasContent && nextRole === undefined)) w.special('<turn|>\n');
    prevNonToolRole = m.role;
  }
  if (options.addGenerationPrompt ?? true) {
    if (prevType !== 'tool_response' && prevType !== 'tool_call') w.special('<|turn>model\n');
    else if (prevType === 'tool_response' && thinking) w.special('<|channel>thought\n');
  }
  return w.segments;
}

/** The segments' text joined (what a template renders as one string). */
export function segmentsText(segments: readonly PromptSegment[]): string {
  return segments.map((s) => s.text).join('');
}
