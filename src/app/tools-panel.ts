// The tools panel: switch the built-in demo tools on and off, add and remove user-defined tools (sandboxed).
import { clear, h } from '../embed/dom.js';
import type { ChatTool } from '../embed/gemma-chat.js';
import { BUILTIN_TOOLS } from './tools/builtin-tools.js';
import { ToolSandbox, userTool, validateUserTool, type UserToolSpec } from './tools/sandboxed-tool.js';
import type { AppSettings } from './settings.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export class ToolsPanel {
  private readonly sandbox: ToolSandbox;

  constructor(private readonly settings: AppSettings, private readonly save: () => void, private readonly apply: (tools: ChatTool[]) => void) {
    this.sandbox = new ToolSandbox(new URL('tool-sandbox.html', document.baseURI).href);
    $('tool-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const spec: UserToolSpec = {
        name: $<HTMLInputElement>('t-name').value.trim(),
        description: $<HTMLInputElement>('t-desc').value.trim(),
        parameters: $<HTMLTextAreaElement>('t-schema').value,
        code: $<HTMLTextAreaElement>('t-code').value,
      };
      const problem = validateUserTool(spec) ?? (this.allTools().some((t) => t.name === spec.name) ? `A tool named "${spec.name}" exists already.` : undefined);
      $('tool-error').textContent = problem ?? '';
      if (problem) return;
      this.settings.userTools.push(spec);
      this.changed();
    });
    this.render();
  }

  allTools(): ChatTool[] {
    return [
      ...BUILTIN_TOOLS.filter((t) => this.settings.enabledBuiltins.includes(t.name)),
      ...this.settings.userTools.map((s) => userTool(s, this.sandbox)),
    ];
  }

  private changed(): void {
    this.save();
    this.render();
  }

  private render(): void {
    const builtins = $('builtin-tools');
    clear(builtins);
    for (const t of BUILTIN_TOOLS) {
      const box = h('input', { type: 'checkbox', id: `tool-${t.name}` });
      box.checked = this.settings.enabledBuiltins.includes(t.name);
      box.addEventListener('change', () => {
        const on = new Set(this.settings.enabledBuiltins);
        if (box.checked) on.add(t.name);
        else on.delete(t.name);
        this.settings.enabledBuiltins = [...on];
        this.changed();
      });
      builtins.appendChild(h('label', { for: `tool-${t.name}`, class: 'row' }, box, h('span', {}, h('strong', {}, t.name), ' — ', t.description ?? '')));
    }
    const list = $('user-tools');
    clear(list);
    this.settings.userTools.forEach((s, i) => {
      list.appendChild(h('li', { 'data-user-tool': s.name },
        h('span', { class: 'grow' }, s.name, h('span', { class: 'sub' }, s.description)),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${s.name}`, onclick: () => (this.settings.userTools.splice(i, 1), this.changed()) }, 'Remove')));
    });
    this.apply(this.allTools());
  }
}
