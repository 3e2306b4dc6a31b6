// The cache manager: each cached model's size and state, delete one or all, persistent-storage status, quota.
import type { ChatBackend } from '../embed/chat-backend.js';
import { toErrorView } from '../embed/chat-backend.js';
import { clear, formatBytes, h } from '../embed/dom.js';

const $ = (id: string) => document.getElementById(id)!;

export class CachePanel {
  constructor(private readonly backend: ChatBackend, private readonly changed: () => void) {
    $('cache-refresh').addEventListener('click', () => void this.refresh());
    $('cache-clear').addEventListener('click', () => void this.run(() => this.backend.deleteAllModels()));
  }

  async refresh(): Promise<void> {
    const list = $('cache-list');
    clear(list);
    try {
      const models = await this.backend.listModels();
      if (!models.length) list.appendChild(h('li', { class: 'hint' }, 'No models stored yet.'));
      for (const m of models) {
        const state = m.status === 'complete' ? 'complete' : `partial: ${formatBytes(m.storedBytes)} of ${formatBytes(m.size)}`;
        // The CPU path's repacked weights are stored next to the file; deleting the model deletes them too.
        const packed = m.packedBytes ? ` · + ${formatBytes(m.packedBytes)} repacked for the CPU` : '';
        list.appendChild(h('li', { 'data-cached': m.id },
          h('span', { class: 'grow' }, m.name, h('span', { class: 'sub' }, `${formatBytes(m.size)} · ${state}${packed}`)),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${m.name}`, onclick: () => void this.run(() => this.backend.deleteModel(m.id)) }, 'Delete')));
      }
    } catch (e) {
      list.appendChild(h('li', { class: 'error' }, toErrorView(e).message));
    }
    const est = await navigator.storage?.estimate?.().catch(() => undefined);
    $('quota').textContent = est?.quota
      ? `Storage used: ${formatBytes(est.usage ?? 0)} of ${formatBytes(est.quota)} (${formatBytes(est.quota - (est.usage ?? 0))} free).`
      : 'This browser does not report its storage quota.';
    const persisted = await navigator.storage?.persisted?.().catch(() => undefined);
    const p = $('persist');
    clear(p);
    p.append(persisted ? 'Storage is persistent: the browser will not evict the models.' : 'Storage is not persistent: the browser may evict models when space runs low. ');
    if (!persisted && navigator.storage?.persist) {
      p.append(h('button', { type: 'button', onclick: () => void navigator.storage.persist().then(() => this.refresh()) }, 'Ask to keep'));
    }
  }

  private async run(op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch (e) {
      $('cache-list').appendChild(h('li', { class: 'error' }, toErrorView(e).message));
      return;
    }
    await this.refresh();
    this.changed();
  }
}
