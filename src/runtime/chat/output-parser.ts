// The model's output, parsed on token ids (spec §3.5): content, the thought channel (`<|channel>thought\n…<channel|>`)
// and tool calls (`<|tool_call>call:NAME{…}<tool_call|>`, parallel calls back to back, terminated also by the end of
// generation). Markers are single ids, so nothing is held back for partial tags. A call that does not parse, or
// names a tool that was not declared, comes back as content with a warning, never as an invented call.
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { CallSyntaxError, QUOTE, parseToolCall } from './tool-call-parser.js';

export interface OutputEvent {
  readonly channel: 'content' | 'reasoning';
  readonly text: string;
}

export interface ParsedToolCall {
  readonly name: string;
  readonly arguments: Record<string, unknown>;
}

export interface OutputWarning {
  readonly code: 'UNPARSABLE_TOOL_CALL' | 'UNDECLARED_TOOL' | 'TOOL_CALLS_DISABLED' | 'REPAIRED_TOOL_CALL';
  readonly message: string;
}

export interface OutputMarkers {
  readonly channelOpen?: number;
  readonly channelClose?: number;
  readonly callOpen?: number;
  readonly callClose?: number;
  readonly quote?: number;
}

export function markersOf(tokenizer: Tokenizer): OutputMarkers {
  return {
    channelOpen: tokenizer.idOf('<|channel>'),
    channelClose: tokenizer.idOf('<channel|>'),
    callOpen: tokenizer.idOf('<|tool_call>'),
    callClose: tokenizer.idOf('<tool_call|>'),
    quote: tokenizer.idOf('<|"|>'),
  };
}

const THOUGHT_LABEL = 'thought\n';

export interface OutputParserOptions {
  /** Names of the declared tools; calls to other names become content. */
  readonly tools: ReadonlySet<string>;
  /** tool_choice "none": calls become content. */
  readonly callsAllowed: boolean;
}

export class GemmaOutputParser {
  private state: 'content' | 'reasoning' | 'call' = 'content';
  private decoder;
  private callIds: number[] = [];
  /** Reasoning text held until the `thought\n` label is confirmed or ruled out. */
  private labelBuffer: string | undefined;
  readonly calls: ParsedToolCall[] = [];
  readonly warnings: OutputWarning[] = [];
  content = '';
  reasoning = '';

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly markers: OutputMarkers,
    private readonly options: OutputParserOptions,
  ) {
    this.decoder = tokenizer.createStreamDecoder({ skipSpecial: true });
  }

  /** One generated id -> the text events it completes (often one, sometimes none). */
  push(id: number): OutputEvent[] {
    const m = this.markers;
    const out: OutputEvent[] = [];
    if (this.state === 'call') {
      if (id === m.callClose) this.endCall(out);
      else if (id === m.callOpen) {
        this.endCall(out);
        this.state = 'call';
      } else this.callIds.push(id);
      return out;
    }
    if (id === m.callOpen) {
      this.emit(out, this.decoder.flush());
      this.endLabel(out);
      this.state = 'call';
      this.callIds = [];
      return out;
    }
    if (id === m.channelOpen) {
      this.emit(out, this.decoder.flush());
      this.state = 'reasoning';
      this.labelBuffer = '';
      return out;
    }
    if (id === m.channelClose) {
      this.emit(out, this.decoder.flush());
      this.endLabel(out);
      this.state = 'content';
      return out;
    }
    if (id === m.callClose) return out; // a stray closer after a call (Ollama sees these)
    this.emit(out, this.decoder.push(id));
    return out;
  }

  /** End of generation: an unterminated call is parsed as far as it goes; held text comes out. */
  finish(): OutputEvent[] {
    const out: OutputEvent[] = [];
    if (this.state === 'call') this.endCall(out);
    else this.emit(out, this.decoder.flush());
    this.endLabel(out);
    return out;
  }

  private emit(out: OutputEvent[], text: string): void {
    if (text === '') return;
    if (this.state === 'reasoning' && this.labelBuffer !== undefined) {
      this.labelBuffer += text;
      const b = this.labelBuffer;
      if (b.length < THOUGHT_LABEL.length && THOUGHT_LABEL.startsWith(b)) return;
      this.labelBuffer = undefined;
      text = b.startsWith(THOUGHT_LABEL) ? b.slice(THOUGHT_LABEL.length) : b;
      if (text === '') return;
    }
    const channel = this.state === 'reasoning' ? 'reasoning' : 'content';
    if (channel === 'reasoning') this.reasoning += text;
    else this.content += text;
    const last = out[out.length - 1];
    if (last && last.channel === channel) out[out.length - 1] = { channel, text: last.text + text };
    else out.push({ channel, text });
  }

  /** A thought that ended before its label was complete keeps what it had. */
  private endLabel(out: OutputEvent[]): void {
    if (this.labelBuffer === undefined) return;
    const b = this.labelBuffer;
    this.labelBuffer = undefined;
    if (b !== '' && !THOUGHT_LABEL.startsWith(b)) {
      const saved = this.state;
      this.state = 'reasoning';
      this.emit(out, b);
      this.state = saved;
    }
  }

  private endCall(out: OutputEvent[]): void {
    const ids = this.callIds;
    this.callIds = [];
    this.state = 'content';
    const body = ids.map((id) => (id === this.markers.quote ? QUOTE : this.tokenizer.decode([id]))).join('');
    const asText = () => '<|tool_call>' + this.tokenizer.decode(ids) + '<tool_call|>';
    let parsed;
    try {
      parsed = parseToolCall(joinBytes(this.tokenizer, ids, this.markers.quote) ?? body);
    } catch (e) {
      if (!(e instanceof CallSyntaxError)) throw e;
      this.warnings.push({ code: 'UNPARSABLE_TOOL_CALL', message: `The model wrote a tool call that does not parse (${e.message}); it is returned as content.` });
      this.emit(out, asText());
      return;
    }
    if (!this.options.callsAllowed) {
      this.warnings.push({ code: 'TOOL_CALLS_DISABLED', message: `tool_choice is "none" but the model called ${parsed.name}; the call is returned as content.` });
      this.emit(out, asText());
      return;
    }
    if (!this.options.tools.has(parsed.name)) {
      this.warnings.push({ code: 'UNDECLARED_TOOL', message: `The model called "${parsed.name}", which is not among the declared tools; the call is returned as content.` });
      this.emit(out, asText());
      return;
    }
    if (parsed.repairs.length > 0) {
      this.warnings.push({ code: 'REPAIRED_TOOL_CALL', message: `The call to ${parsed.name} was repaired: ${parsed.repairs.join(', ')}.` });
    }
    this.calls.push({ name: parsed.name, arguments: parsed.arguments });
  }
}

/** Decodes a call's ids with the quote token as QUOTE and byte pieces joined into characters. */
function joinBytes(tokenizer: Tokenizer, ids: readonly number[], quote: number | undefined): string | undefined {
  let out = '';
  let run: number[] = [];
  for (const id of ids) {
    if (id === quote) {
      out += tokenizer.decode(run) + QUOTE;
      run = [];
    } else run.push(id);
  }
  return out + tokenizer.decode(run);
}
