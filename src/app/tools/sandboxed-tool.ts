// User-defined tools: the handler's JavaScript runs in public/tool-sandbox.html, an iframe with
// sandbox="allow-scripts" (opaque origin, so no cookies, IndexedDB or page DOM), inside a fresh worker per call.
import type { ChatTool } from '../../embed/gemma-chat.js';

export interface UserToolSpec {
  name: string;
  description: string;
  /** JSON schema of the arguments, as text. */
  parameters: string;
  /** The body of `async function (args) { ... }`: returns the result. */
  code: string;
}

/** How long the sandbox frame may take to say it is ready. */
const SANDBOX_LOAD_MS = 15_000;

export class ToolSandbox {
  private frame: HTMLIFrameElement | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(private readonly url: string) {
    window.addEventListener('message', (e) => {
      if (!this.frame || e.source !== this.frame.contentWindow) return;
      const m = e.data as { id?: number; ok?: boolean; value?: string; error?: string };
      const p = m.id !== undefined ? this.pending.get(m.id) : undefined;
      if (!p) return;
      this.pending.delete(m.id!);
      if (m.ok) p.resolve(m.value === undefined ? null : JSON.parse(m.value));
      else p.reject(new Error(m.error ?? 'The tool failed.'));
    });
  }

  private start(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const frame = document.createElement('iframe');
      frame.setAttribute('sandbox', 'allow-scripts');
      // A sandboxed frame's load bypasses the service worker, so on a static host it comes without the COEP header
      // that a cross-origin isolated page (src/pwa/sw.ts) demands of its frames. A credentialless frame
      // (Chromium 110+) is exempt; it changes nothing else here (an opaque origin has no storage or cookies anyway).
      if ('credentialless' in HTMLIFrameElement.prototype) frame.setAttribute('credentialless', '');
      frame.setAttribute('title', 'Sandbox for user-defined tools');
      frame.setAttribute('aria-hidden', 'true');
      frame.hidden = true;
      frame.src = this.url;
      const onReady = (e: MessageEvent) => {
        if (e.source === frame.contentWindow && (e.data as { sandboxReady?: boolean })?.sandboxReady) {
          window.removeEventListener('message', onReady);
          clearTimeout(deadline);
          resolve();
        }
      };
      window.addEventListener('message', onReady);
      frame.addEventListener('error', () => reject(new Error('The tool sandbox did not load.')));
      // A frame the browser blocks (COEP, CSP) fires no error event: without a deadline the tool call would hang.
      const deadline = setTimeout(() => {
        window.removeEventListener('message', onReady);
        reject(new Error(
          'The tool sandbox (tool-sandbox.html) did not load. On a cross-origin isolated page in a browser without ' +
          'credentialless iframes, the server must send it with Cross-Origin-Embedder-Policy: require-corp.'));
      }, SANDBOX_LOAD_MS);
      this.frame = frame;
      document.body.appendChild(frame);
    });
    return this.ready;
  }

  async run(code: string, args: unknown): Promise<unknown> {
    await this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.frame!.contentWindow!.postMessage({ id, code, args }, '*');
    });
  }
}

export function validateUserTool(spec: UserToolSpec): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(spec.name)) return 'The name must be letters, digits and underscores (at most 64), starting with a letter.';
  try {
    const schema = JSON.parse(spec.parameters || '{}') as unknown;
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'The JSON schema must be an object, e.g. {"type":"object","properties":{}}.';
  } catch (e) {
    return `The JSON schema is not valid JSON: ${(e as Error).message}`;
  }
  if (!spec.code.trim()) return 'The handler needs a body, e.g. `return args.a + args.b;`.';
  return undefined;
}

export function userTool(spec: UserToolSpec, sandbox: ToolSandbox): ChatTool {
  return {
    name: spec.name,
    description: spec.description,
    parameters: JSON.parse(spec.parameters || '{}') as Record<string, unknown>,
    handler: (args) => sandbox.run(spec.code, args),
  };
}
