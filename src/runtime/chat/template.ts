// Renders a conversation with the GGUF's own tokenizer.chat_template (@huggingface/jinja), keeping track of which
// text came from users, tools and system prompts: every such string is wrapped in two sentinel characters before
// rendering, and the output is split at them into prompt segments (plain text inside, template structure outside).
// Tool schemas are normalised first (schema.ts) so the official template never throws on them.
import { Template } from '@huggingface/jinja';
import { RuntimeError } from '../errors.js';
import { stripThinking } from './gemma-format.js';
import type { ChatMessage, MessageContent, PromptSegment, RenderOptions, ToolDeclaration, ToolSchema } from './types.js';

/** Opens an untrusted string (a Unicode noncharacter: never meaningful text). */
const OPEN = '\uFDD0';
/** Closes it: lower than any printable character, so wrapped keys sort exactly as the bare keys (dictsort). */
const CLOSE = '\u0001';
const SENTINELS = /[\uFDD0\u0001]/g;

/** Empty strings stay empty: the template tests `content | trim | length > 0`. */
const wrap = (s: string) => {
  const clean = s.replace(SENTINELS, '');
  return clean === '' ? '' : OPEN + clean + CLOSE;
};

function wrapDeep(v: unknown): unknown {
  if (typeof v === 'string') return wrap(v);
  if (Array.isArray(v)) return v.map(wrapDeep);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [wrap(k), wrapDeep(x)]));
  return v;
}

function wrapSchema(s: ToolSchema): Record<string, unknown> {
  const out: Record<string, unknown> = { type: s.type };
  if (s.description !== undefined) out.description = wrap(s.description);
  if (s.enum) out.enum = s.enum.map(wrap);
  if (s.items) out.items = wrapSchema(s.items);
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, p]) => [wrap(k), wrapSchema(p)]));
  if (s.required) out.required = s.required.map(wrap);
  if (s.nullable) out.nullable = true;
  return out;
}

function wrapTool(t: ToolDeclaration): Record<string, unknown> {
  const fn: Record<string, unknown> = { name: wrap(t.name) };
  if (t.description !== undefined) fn.description = wrap(t.description);
  if (t.parameters) fn.parameters = wrapSchema(t.parameters);
  return { type: 'function', function: fn };
}

/** Pre-applies the template's own trim / strip_thinking so that they are no-ops on the wrapped strings. */
function wrapContent(c: MessageContent | null | undefined, model: boolean): unknown {
  if (c === null || c === undefined) return c;
  const clean = (s: string) => wrap(model ? stripThinking(s) : s.trim());
  if (typeof c === 'string') return clean(c);
  return c.map((p) => ({ type: 'text', text: clean(p.text) }));
}

function toTemplateMessage(m: ChatMessage): Record<string, unknown> {
  switch (m.role) {
    case 'system':
    case 'developer':
    case 'user':
      return { role: m.role, content: wrapContent(m.content, false) };
    case 'assistant': {
      const out: Record<string, unknown> = { role: 'assistant', content: wrapContent(m.content ?? null, true) };
      if (m.reasoning) out.reasoning_content = wrap(m.reasoning);
      if (m.toolCalls?.length) {
        out.tool_calls = m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: wrap(c.name), arguments: wrapDeep(c.arguments ?? {}) } }));
      }
      if (m.toolResponses?.length) out.tool_responses = m.toolResponses.map((r) => ({ name: wrap(r.name), response: wrapDeep(r.response) }));
      return out;
    }
    case 'tool': {
      const content = typeof m.content === 'string' || Array.isArray(m.content) ? m.content : wrapDeep(m.content);
      const body = typeof content === 'string' ? wrap(content) : Array.isArray(content) ? content.map((p) => ({ type: 'text', text: wrap(String(p.text ?? '')) })) : content;
      return { role: 'tool', content: body, tool_call_id: m.toolCallId, name: m.name === undefined ? undefined : wrap(m.name) };
    }
  }
}

/**
 * OpenAI `role: "tool"` messages after an assistant message with tool calls become that message's Gemma-native
 * tool_responses (names resolved through tool_call_id), as llama.cpp does: the official template crashes on a
 * tool message whose content is an object, and renders native results only this way (spec §3.3).
 */
export function foldToolResults(messages: readonly ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.role !== 'assistant' || !m.toolCalls?.length || m.toolResponses?.length) {
      out.push(m);
      continue;
    }
    const responses: { name: string; response: unknown }[] = [];
    let k = i + 1;
    for (; k < messages.length; k++) {
      const f = messages[k];
      if (f.role !== 'tool') break;
      const call = m.toolCalls.find((c) => c.id !== undefined && c.id === f.toolCallId);
      const body = Array.isArray(f.content) ? f.content.map((p: { type?: string; text?: string }) => (p?.type === 'text' ? (p.text ?? '') : '')).join('') : f.content;
      responses.push({ name: call?.name ?? f.name ?? 'unknown', response: body });
    }
    out.push(responses.length ? { ...m, toolResponses: responses } : m);
    i = k - 1;
  }
  return out;
}

/** Splits a rendered string at the sentinels: wrapped text is plain, the rest is template structure. */
export function splitRendered(rendered: string): PromptSegment[] {
  const out: PromptSegment[] = [];
  const push = (text: string, special: boolean) => {
    if (text === '') return;
    const last = out[out.length - 1];
    if (last && last.special === special) out[out.length - 1] = { text: last.text + text, special };
    else out.push({ text, special });
  };
  let i = 0;
  let depth = 0;
  let start = 0;
  for (; i < rendered.length; i++) {
    const c = rendered[i];
    if (c === OPEN) {
      push(rendered.slice(start, i), depth === 0);
      depth++;
      start = i + 1;
    } else if (c === CLOSE && depth > 0) {
      push(rendered.slice(start, i), false);
      depth--;
      start = i + 1;
    }
  }
  push(rendered.slice(start), depth === 0);
  return out;
}

export class ChatTemplate {
  private readonly template: Template;

  /** Throws RuntimeError TEMPLATE_ERROR when the template does not parse. */
  constructor(readonly source: string) {
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new RuntimeError('TEMPLATE_ERROR', `The model file's chat template does not parse: ${(e as Error).message}`);
    }
  }

  render(messages: readonly ChatMessage[], options: RenderOptions = {}): PromptSegment[] {
    let rendered: string;
    try {
      rendered = this.template.render({
        messages: foldToolResults(messages).map(toTemplateMessage),
        tools: options.tools?.length ? options.tools.map(wrapTool) : undefined,
        bos_token: '<bos>',
        eos_token: '<eos>',
        enable_thinking: options.enableThinking ?? false,
        preserve_thinking: options.preserveThinking ?? false,
        add_generation_prompt: options.addGenerationPrompt ?? true,
      });
    } catch (e) {
      throw new RuntimeError('TEMPLATE_ERROR', `The model file's chat template failed on this conversation: ${(e as Error).message}`);
    }
    return splitRendered(rendered);
  }
}
