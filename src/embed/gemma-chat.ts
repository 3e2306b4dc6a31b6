// <gemma-chat>: the one chat UI, used by the app page and by embedders. Shadow DOM, constructed stylesheet, DOM
// built from nodes (model output goes through renderMarkdown). It talks to the engine only through ChatBackend.
import type { ChatBackend, ChatTurn, ErrorView, LoadedModel, LoadProgressView, StreamUsage, ToolCall, ToolDeclaration } from './chat-backend.js';
import { toErrorView } from './chat-backend.js';
import { append, clear, formatBytes, formatDuration, h } from './dom.js';
import { errorAdvice } from './error-advice.js';
import { renderMarkdown } from './markdown.js';
import { chatStyleSheet } from './styles.js';

/** A tool the model may call: its declaration and the function that answers it (its result becomes text). */
export interface ChatTool extends ToolDeclaration {
  handler(args: Record<string, unknown>): unknown;
}

export interface ToolCallView extends ToolCall {
  state: 'running' | 'done' | 'failed';
  result?: string;
}

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
  reasoning?: string;
  toolCalls?: ToolCallView[];
  usage?: StreamUsage;
  finishReason?: string;
  error?: ErrorView;
}

export interface ChatSettings {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
}

type Status = 'idle' | 'loading' | 'ready' | 'generating' | 'error';

const MAX_TOOL_ROUNDS = 4;

export class GemmaChatElement extends HTMLElement {
  static readonly observedAttributes = ['model', 'system-prompt', 'context-length', 'theme', 'heading', 'no-theme-toggle'];

  /** Builds an engine when none was given (the embed entry sets this to a cross-origin-safe factory). */
  static engineFactory: (() => ChatBackend) | undefined;

  engine: ChatBackend | undefined;
  tools: ChatTool[] = [];
  settings: ChatSettings = {};

  private msgs: ChatMessage[] = [];
  private status: Status = 'idle';
  private modelName = '';
  private readonly root: HTMLDivElement;
  private readonly log: HTMLDivElement;
  private readonly live: HTMLDivElement;
  private readonly banners: HTMLDivElement;
  private readonly progress: HTMLDivElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly thinkBox: HTMLInputElement;
  private readonly titleEl: HTMLSpanElement;
  private readonly statusEl: HTMLSpanElement;
  private readonly themeButton: HTMLButtonElement;
  private renderTimer: ReturnType<typeof setTimeout> | undefined;
  private stopRequested = false;
  private loadedKey: string | undefined;
  private readonly media = window.matchMedia('(prefers-color-scheme: dark)');

  constructor() {
    super();
    const shadow = this.attachShadow({ mode: 'open' });
    shadow.adoptedStyleSheets = [chatStyleSheet()];
    this.titleEl = h('span', { class: 'title' }, 'Gemma chat');
    this.statusEl = h('span', { class: 'status', role: 'status' }, '');
    this.themeButton = h('button', { type: 'button', part: 'theme-toggle', 'aria-label': 'Switch to dark theme', onclick: () => this.toggleTheme() }, 'Dark');
    const newChat = h('button', { type: 'button', onclick: () => this.newConversation() }, 'New chat');
    this.banners = h('div', { class: 'banners', role: 'alert' });
    this.progress = h('div', { class: 'progress', hidden: true });
    this.log = h('div', { class: 'log', role: 'log', 'aria-label': 'Conversation', tabindex: 0 });
    this.live = h('div', { class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'false' });
    this.input = h('textarea', { id: 'prompt', rows: 2, placeholder: 'Message Gemma…', 'aria-label': 'Message', part: 'input' });
    this.sendButton = h('button', { type: 'submit', class: 'primary', part: 'send' }, 'Send');
    this.stopButton = h('button', { type: 'button', hidden: true, onclick: () => this.stop() }, 'Stop');
    this.thinkBox = h('input', { type: 'checkbox', id: 'think' });
    const form = h(
      'form',
      { class: 'composer', onsubmit: (e: Event) => (e.preventDefault(), void this.send(this.input.value)) },
      h('div', { class: 'row' }, this.input, this.sendButton, this.stopButton),
      h('div', { class: 'opts' },
        h('label', { class: 'toggle', for: 'think' }, this.thinkBox, 'Thinking'),
        h('span', { class: 'keys' }, 'Enter sends · Shift+Enter new line · Esc stops'),
      ),
    );
    this.root = h('div', { class: 'root', part: 'root' },
      h('div', { class: 'toolbar' }, this.titleEl, this.statusEl, newChat, this.themeButton),
      this.banners, this.progress, this.log, this.live, form);
    shadow.appendChild(this.root);
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void this.send(this.input.value);
      }
    });
    this.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.status === 'generating') {
        e.preventDefault();
        this.stop();
      }
    });
    this.media.addEventListener('change', () => this.applyTheme());
    this.applyTheme();
    this.render();
  }

  connectedCallback(): void {
    this.setStatus(this.status);
    this.updateTitle();
    if (this.getAttribute('model')) void this.autoload();
  }

  attributeChangedCallback(name: string): void {
    if (name === 'theme' || name === 'no-theme-toggle') this.applyTheme();
    if (name === 'heading') this.updateTitle();
    if (name === 'model' && this.isConnected && this.getAttribute('model')) void this.autoload();
  }

  /** The conversation (user and assistant turns, with their tool calls). */
  get messages(): ChatMessage[] {
    return structuredClone(this.msgs);
  }
  set messages(value: ChatMessage[]) {
    if (this.status === 'generating') this.stop();
    this.msgs = structuredClone(value ?? []);
    this.render();
  }

  get state(): Status {
    return this.status;
  }

  /** Loads a model (URL, registry id or File) into the engine and shows the progress. */
  async load(model: string | File): Promise<void> {
    const engine = this.ensureEngine();
    const contextLength = Number(this.getAttribute('context-length')) || undefined;
    this.setStatus('loading');
    this.clearBanners();
    this.showProgress({ phase: 'checking', bytesDone: 0, bytesTotal: 0 });
    try {
      const info = await engine.load(model, {
        contextLength,
        onProgress: (p) => this.showProgress(p),
      });
      this.setModelReady(info);
    } catch (e) {
      this.progress.hidden = true;
      this.fail(toErrorView(e));
      throw e;
    }
  }

  /** Shows the engine's load progress (the app page drives loads itself and forwards them here). */
  showProgress(p: LoadProgressView): void {
    this.emit('progress', p);
    this.progress.hidden = p.phase === 'ready';
    clear(this.progress);
    const frac = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0;
    const parts = [phaseLabel(p.phase)];
    if (p.bytesTotal > 0) parts.push(`${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`);
    if (p.rate) parts.push(`${formatBytes(p.rate)}/s`);
    if (p.etaSeconds !== undefined && p.phase === 'downloading') parts.push(`${formatDuration(p.etaSeconds)} left`);
    const fill = h('div', { class: 'fill' });
    fill.style.width = `${(frac * 100).toFixed(1)}%`;
    append(this.progress, h('span', {}, parts.join(' · ')),
      h('div', { class: 'bar', role: 'progressbar', 'aria-label': 'Model loading', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(frac * 100) }, fill));
  }

  /** Marks the element ready for a model the host loaded into the same engine. */
  setModelReady(info: LoadedModel): void {
    this.modelName = info.name;
    this.progress.hidden = true;
    this.clearBanners();
    if (info.backend === 'cpu') this.showCpuNote(info.backendReason, info.cpu);
    this.setStatus('ready');
    this.updateTitle();
    this.emit('ready', info);
  }

  /** Shows an error banner (code, what happened, what to do). */
  showError(e: unknown): void {
    this.fail(toErrorView(e));
  }

  newConversation(): void {
    if (this.status === 'generating') this.stop();
    this.msgs = [];
    this.render();
    this.emit('message', { messages: this.messages, reason: 'new' });
  }

  stop(): void {
    this.stopRequested = true;
    void this.engine?.interrupt();
  }

  /** Sends a user message and streams the answer (with tool rounds). */
  async send(text: string): Promise<void> {
    const content = text.trim();
    if (!content || this.status === 'generating' || this.status === 'loading') return;
    if (!this.engine || this.status !== 'ready') {
      this.fail({ code: 'NOT_LOADED', message: 'No model is loaded yet. Pick a model first, then send your message.' });
      return;
    }
    this.input.value = '';
    this.msgs.push({ role: 'user', content });
    this.emit('message', { messages: this.messages, reason: 'user' });
    await this.respond();
  }

  /** Drops the last answer and generates it again. */
  async regenerate(): Promise<void> {
    if (this.status !== 'ready') return;
    while (this.msgs.length && this.msgs[this.msgs.length - 1].role === 'assistant') this.msgs.pop();
    if (!this.msgs.length) return;
    await this.respond();
  }

  /** Replaces user message `index` with new text, drops everything after it, and answers again. */
  async editAndResend(index: number, text: string): Promise<void> {
    if (this.status !== 'ready' || this.msgs[index]?.role !== 'user' || !text.trim()) return;
    this.msgs = this.msgs.slice(0, index);
    this.msgs.push({ role: 'user', content: text.trim() });
    this.emit('message', { messages: this.messages, reason: 'edit' });
    await this.respond();
  }

  private async respond(): Promise<void> {
    const engine = this.engine!;
    this.stopRequested = false;
    this.clearBanners();
    this.setStatus('generating');
    try {
      for (let round = 0; round < MAX_TOOL_ROUNDS && !this.stopRequested; round++) {
        const answer: ChatMessage = { role: 'assistant', content: '' };
        this.msgs.push(answer);
        this.render();
        const stream = engine.stream({
          messages: this.toTurns(),
          tools: this.tools.length ? this.tools.map(({ name, description, parameters }) => ({ name, description, parameters })) : undefined,
          thinking: this.thinkBox.checked,
          ...this.settings,
        });
        let calls: readonly ToolCall[] = [];
        for await (const ev of stream) {
          if (ev.type === 'text') answer.content += ev.text;
          else if (ev.type === 'reasoning') answer.reasoning = (answer.reasoning ?? '') + ev.text;
          else if (ev.type === 'tool_calls') calls = ev.calls;
          else if (ev.type === 'done') {
            answer.usage = ev.usage;
            answer.finishReason = ev.finishReason;
          }
          this.scheduleRender();
        }
        this.flushRender();
        if (!calls.length || this.stopRequested) break;
        answer.toolCalls = calls.map((c) => ({ ...c, state: 'running' }));
        this.render();
        for (const call of answer.toolCalls) await this.runTool(call);
        this.render();
      }
      const last = this.msgs[this.msgs.length - 1];
      this.live.textContent = last?.content ?? '';
    } catch (e) {
      const err = toErrorView(e);
      const last = this.msgs[this.msgs.length - 1];
      if (last?.role === 'assistant') last.error = err;
      this.fail(err);
    } finally {
      if (this.status === 'generating') this.setStatus('ready');
      this.flushRender();
      this.emit('message', { messages: this.messages, reason: 'assistant' });
    }
  }

  private async runTool(call: ToolCallView): Promise<void> {
    const tool = this.tools.find((t) => t.name === call.name);
    this.emit('tool-call', { id: call.id, name: call.name, arguments: call.arguments });
    try {
      if (!tool) throw new Error(`There is no tool named "${call.name}".`);
      let args: Record<string, unknown>;
      try {
        args = call.arguments ? (JSON.parse(call.arguments) as Record<string, unknown>) : {};
      } catch {
        throw new Error(`The arguments are not valid JSON: ${call.arguments}`);
      }
      const result = await tool.handler(args);
      call.result = typeof result === 'string' ? result : JSON.stringify(result);
      call.state = 'done';
    } catch (e) {
      call.result = JSON.stringify({ error: (e as Error)?.message ?? String(e) });
      call.state = 'failed';
    }
    this.emit('tool-call', { id: call.id, name: call.name, arguments: call.arguments, result: call.result, state: call.state });
  }

  private toTurns(): ChatTurn[] {
    const turns: ChatTurn[] = [];
    const system = this.getAttribute('system-prompt');
    if (system) turns.push({ role: 'system', content: system });
    for (const m of this.msgs) {
      if (m.role === 'user') turns.push({ role: 'user', content: m.content });
      else if (m.content || m.toolCalls?.length) {
        turns.push({ role: 'assistant', content: m.content, toolCalls: m.toolCalls?.map(({ id, name, arguments: a }) => ({ id, name, arguments: a })) });
        for (const c of m.toolCalls ?? []) if (c.result !== undefined) turns.push({ role: 'tool', content: c.result, toolCallId: c.id });
      }
    }
    return turns;
  }

  private ensureEngine(): ChatBackend {
    if (!this.engine) {
      const factory = GemmaChatElement.engineFactory;
      if (!factory) throw new Error('<gemma-chat> has no engine: set element.engine or load gemma-embed.js.');
      this.engine = factory();
    }
    return this.engine;
  }

  private async autoload(): Promise<void> {
    const model = this.getAttribute('model')!;
    const key = `${model}|${this.getAttribute('context-length') ?? ''}`;
    if (this.loadedKey === key) return;
    this.loadedKey = key;
    try {
      await this.load(model);
    } catch {
      this.loadedKey = undefined; // shown as a banner; a new attribute value retries
    }
  }

  private fail(err: ErrorView): void {
    if (this.status !== 'ready' && this.status !== 'generating') this.setStatus(this.modelName ? 'ready' : 'error');
    else if (this.status === 'generating') this.setStatus('ready');
    this.clearBanners();
    const advice = errorAdvice(err);
    const dismiss = h('button', { type: 'button', 'aria-label': 'Dismiss', onclick: () => this.clearBanners() }, '×');
    append(this.banners, h('div', { class: 'banner', 'data-code': err.code },
      h('div', { class: 'text' }, h('strong', {}, advice.title), advice.detail), dismiss));
    this.emit('error', err);
  }

  /** Not an error: without usable WebGPU the engine runs the model on the CPU (WebAssembly), slower but working. */
  private showCpuNote(reason: string | undefined, cpu: LoadedModel['cpu']): void {
    const dismiss = h('button', { type: 'button', 'aria-label': 'Dismiss', onclick: () => this.clearBanners() }, '×');
    append(this.banners, h('div', { class: 'banner info', 'data-code': 'CPU_BACKEND' },
      h('div', { class: 'text' }, h('strong', {}, 'No usable WebGPU here: the model runs on the CPU (WebAssembly), more slowly.'),
        'It works as is. For full speed, open this page in a browser with WebGPU turned on (a recent Chrome or Edge) on a device with a GPU.' +
        (reason ? ` (${reason})` : '')),
      cpu ? h('div', { class: 'text threads' }, threadsNote(cpu)) : null, dismiss));
  }

  private clearBanners(): void {
    clear(this.banners);
  }

  private setStatus(s: Status): void {
    this.status = s;
    this.setAttribute('state', s);
    const labels: Record<Status, string> = { idle: 'No model', loading: 'Loading…', ready: 'Ready', generating: 'Answering…', error: 'Error' };
    this.statusEl.textContent = labels[s];
    const busy = s === 'generating';
    this.sendButton.hidden = busy;
    this.stopButton.hidden = !busy;
    this.sendButton.disabled = s === 'loading';
    this.log.setAttribute('aria-busy', String(busy));
  }

  private updateTitle(): void {
    this.titleEl.textContent = this.getAttribute('heading') || this.modelName || 'Gemma chat';
  }

  private isDark(): boolean {
    const t = this.getAttribute('theme');
    return t === 'dark' || (t !== 'light' && this.media.matches);
  }

  private applyTheme(): void {
    const dark = this.isDark();
    this.root?.classList.toggle('dark', dark);
    if (this.themeButton) {
      // A host page with its own theme control sets no-theme-toggle, so there is one control, never two that disagree.
      this.themeButton.hidden = this.hasAttribute('no-theme-toggle');
      this.themeButton.textContent = dark ? 'Light' : 'Dark';
      this.themeButton.setAttribute('aria-label', dark ? 'Switch to light theme' : 'Switch to dark theme');
    }
  }

  private toggleTheme(): void {
    this.setAttribute('theme', this.isDark() ? 'light' : 'dark');
    this.emit('theme', this.getAttribute('theme'));
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private scheduleRender(): void {
    this.renderTimer ??= setTimeout(() => this.flushRender(), 40);
  }

  private flushRender(): void {
    if (this.renderTimer !== undefined) clearTimeout(this.renderTimer);
    this.renderTimer = undefined;
    this.render();
  }

  private render(): void {
    const stick = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    clear(this.log);
    if (!this.msgs.length) {
      append(this.log, h('div', { class: 'empty' },
        h('h2', {}, this.status === 'ready' ? 'Ask anything' : 'Gemma, in your browser'),
        h('p', {}, this.status === 'ready'
          ? 'The model runs on this device: nothing you type leaves it.'
          : 'Pick a model to start. It downloads once, then works offline.')));
    }
    const lastAssistant = this.msgs.map((m) => m.role).lastIndexOf('assistant');
    this.msgs.forEach((m, i) => this.log.appendChild(m.role === 'user' ? this.userView(m, i) : this.assistantView(m, i === lastAssistant)));
    if (stick) this.log.scrollTop = this.log.scrollHeight;
  }

  private userView(m: ChatMessage, index: number): HTMLElement {
    const el = h('div', { class: 'msg user', 'data-index': index });
    const body = h('div', { class: 'body' }, m.content);
    const edit = h('button', { type: 'button', 'aria-label': 'Edit and resend', disabled: this.status !== 'ready' }, 'Edit');
    edit.addEventListener('click', () => {
      const box = h('textarea', { 'aria-label': 'Edit message' });
      box.value = m.content;
      const form = h('div', { class: 'edit' }, box, h('div', { class: 'row' },
        h('button', { type: 'button', onclick: () => this.render() }, 'Cancel'),
        h('button', { type: 'button', class: 'primary', onclick: () => void this.editAndResend(index, box.value) }, 'Send')));
      el.replaceChildren(form);
      box.focus();
    });
    append(el, body, h('div', { class: 'meta' }, edit, copyButton(m.content)));
    return el;
  }

  private assistantView(m: ChatMessage, isLast: boolean): HTMLElement {
    const el = h('div', { class: 'msg assistant' });
    if (m.reasoning) {
      append(el, h('details', { class: 'thoughts' }, h('summary', {}, 'Thoughts'), h('div', { class: 'thought-text' }, m.reasoning)));
    }
    for (const c of m.toolCalls ?? []) {
      append(el, h('div', { class: 'tool', 'data-tool': c.name, 'data-state': c.state },
        h('div', { class: 'tool-head' }, h('span', { class: 'tool-name' }, c.name),
          h('span', { class: `tool-state ${c.state}` }, c.state === 'running' ? 'running…' : c.state === 'done' ? 'done' : 'failed')),
        h('pre', { class: 'tool-args', 'aria-label': 'Arguments' }, c.arguments || '{}'),
        c.result !== undefined && h('pre', { class: 'tool-result', 'aria-label': 'Result' }, c.result)));
    }
    if (m.content || !m.toolCalls?.length) {
      const body = h('div', { class: 'body' });
      body.appendChild(withCodeCopy(renderMarkdown(m.content)));
      append(el, body);
    }
    if (m.error) append(el, h('div', { class: 'error' }, errorAdvice(m.error).title));
    const meta = h('div', { class: 'meta' });
    if (m.usage) {
      const parts: string[] = [];
      if (m.usage.decodeTokensPerS !== undefined) parts.push(`${m.usage.decodeTokensPerS.toFixed(1)} tok/s`);
      if (m.usage.timeToFirstTokenS !== undefined) parts.push(`first token ${m.usage.timeToFirstTokenS.toFixed(2)} s`);
      parts.push(`${m.usage.completionTokens} tokens`);
      if (m.finishReason && m.finishReason !== 'stop' && m.finishReason !== 'tool_calls') parts.push(finishLabel(m.finishReason));
      append(meta, h('span', { class: 'stats' }, parts.join(' · ')));
    }
    const generating = this.status === 'generating' && isLast;
    if (!generating) {
      append(meta, copyButton(m.content));
      if (isLast) append(meta, h('button', { type: 'button', disabled: this.status !== 'ready', onclick: () => void this.regenerate() }, 'Regenerate'));
    }
    append(el, meta);
    return el;
  }
}

function copyButton(text: string): HTMLButtonElement {
  const b = h('button', { type: 'button', 'aria-label': 'Copy' }, 'Copy');
  b.addEventListener('click', () => {
    void navigator.clipboard?.writeText(text).then(() => {
      b.textContent = 'Copied';
      setTimeout(() => (b.textContent = 'Copy'), 1200);
    });
  });
  return b;
}

/** Wraps each <pre> of rendered markdown with a copy button for its code. */
function withCodeCopy(frag: DocumentFragment): DocumentFragment {
  for (const pre of Array.from(frag.querySelectorAll('pre'))) {
    const wrap = h('div', { class: 'codeblock' });
    pre.replaceWith(wrap);
    const b = copyButton(pre.textContent ?? '');
    b.classList.add('copy');
    b.setAttribute('aria-label', 'Copy code');
    wrap.append(pre, b);
  }
  return frag;
}

function phaseLabel(phase: string): string {
  return ({ checking: 'Checking the cache', downloading: 'Downloading', verifying: 'Verifying', 'loading-to-gpu': 'Loading onto the GPU', ready: 'Ready' } as Record<string, string>)[phase] ?? phase;
}

function finishLabel(reason: string): string {
  return ({ length: 'stopped at the token limit', abort: 'stopped', context_full: 'context full' } as Record<string, string>)[reason] ?? reason;
}

export function defineGemmaChat(): void {
  if (!customElements.get('gemma-chat')) customElements.define('gemma-chat', GemmaChatElement);
}

declare global {
  interface HTMLElementTagNameMap {
    'gemma-chat': GemmaChatElement;
  }
}

/** Says how many threads the CPU path runs on, and when it is one because of isolation, what would give it more. */
function threadsNote(cpu: NonNullable<LoadedModel['cpu']>): string {
  if (cpu.threads > 1) return `It runs on ${cpu.threads} threads (${cpu.threadsReason}).`;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) {
    return 'It runs on one thread: this page is not cross-origin isolated, so its threads cannot share memory. ' +
      'Served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: credentialless (or require-corp), ' +
      'it would use every core (the Gemma app\'s own service worker adds them: reload the app once it is installed).';
  }
  return `It runs on one thread (${cpu.threadsReason}).`;
}
