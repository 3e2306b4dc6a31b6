// The model picker: registry models (name, quant, size, cached?), a pasted GGUF URL, or a local file by picker or
// drop; the download with a real progress bar and pause / resume / cancel that survives a reload.
import type { CachedModelView, ChatBackend, LoadProgressView } from '../embed/chat-backend.js';
import { toErrorView } from '../embed/chat-backend.js';
import { clear, formatBytes, formatDuration, h } from '../embed/dom.js';
import type { GemmaChatElement } from '../embed/gemma-chat.js';
import type { AppSettings } from './settings.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export interface ModelPanelDeps {
  readonly backend: ChatBackend;
  readonly chat: GemmaChatElement;
  readonly settings: AppSettings;
  save(): void;
  onCacheChanged(): void;
}

/** The cache id the storage layer files a target under: a registry id as is, a URL as `url:` + the URL. */
function cacheIdOf(target: string, known: readonly { id: string }[]): string {
  return known.some((k) => k.id === target) ? target : `url:${new URL(target).href}`;
}

export class ModelPanel {
  private current: string | File | undefined;
  private paused = false;
  private cancelled = false;
  private cached: CachedModelView[] = [];

  constructor(private readonly d: ModelPanelDeps) {
    $('url-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.load($<HTMLInputElement>('model-url').value.trim());
    });
    $<HTMLInputElement>('model-file').addEventListener('change', (e) => {
      const f = (e.target as HTMLInputElement).files?.[0];
      if (f) void this.load(f);
    });
    const drop = $('drop');
    drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      const f = e.dataTransfer?.files?.[0];
      if (f) void this.load(f);
    });
    $('dl-pause').addEventListener('click', () => this.pause());
    $('dl-resume').addEventListener('click', () => this.current !== undefined && void this.load(this.current));
    $('dl-cancel').addEventListener('click', () => void this.cancel());
  }

  /** On start: offer to resume a download the last visit left, or load the last model when it is cached. */
  async restore(): Promise<void> {
    await this.refresh();
    const { pendingDownload, lastModel } = this.d.settings;
    if (pendingDownload) {
      this.current = pendingDownload;
      this.paused = true;
      this.showDownload(pendingDownload, undefined);
      $('dl-phase').textContent = 'paused — press Resume to continue';
      return;
    }
    if (lastModel) {
      const id = cacheIdOf(lastModel, this.d.backend.knownModels());
      if (this.cached.some((c) => c.id === id && c.status === 'complete')) await this.load(lastModel);
    }
  }

  async refresh(): Promise<void> {
    try {
      this.cached = await this.d.backend.listModels();
    } catch {
      this.cached = [];
    }
    const list = $('model-list');
    clear(list);
    const known = this.d.backend.knownModels();
    if (!known.length) list.appendChild(h('li', { class: 'hint' }, 'No built-in model list in this build: paste a URL or open a file.'));
    for (const k of known) {
      const c = this.cached.find((m) => m.id === k.id);
      const state = c?.status === 'complete' ? 'cached' : c ? `${formatBytes(c.storedBytes)} of ${formatBytes(c.size)} stored` : 'not downloaded';
      const size = c ? formatBytes(c.size) : k.gpuMB ? `needs about ${formatBytes(k.gpuMB * 1024 * 1024)} of GPU memory` : '';
      list.appendChild(h('li', { 'data-model': k.id },
        h('span', { class: 'grow' }, k.name, h('span', { class: 'sub' }, [k.quant, size, state].filter(Boolean).join(' · '))),
        h('button', { type: 'button', onclick: () => void this.load(k.id) }, c?.status === 'complete' ? 'Load' : 'Download')));
    }
  }

  async load(target: string | File): Promise<void> {
    const { backend, chat, settings } = this.d;
    this.current = target;
    this.paused = false;
    this.cancelled = false;
    const name = typeof target === 'string' ? target : target.name;
    if (typeof target === 'string') {
      settings.pendingDownload = target;
      this.d.save();
    }
    this.showDownload(name, { phase: 'checking', bytesDone: 0, bytesTotal: 0 });
    // Progress messages from the worker can arrive after load() settled: they must not show the panel again.
    let settled = false;
    try {
      const info = await backend.load(target, {
        contextLength: settings.contextLength,
        backend: settings.backend,
        onProgress: (p) => {
          if (settled) return;
          this.showDownload(name, p);
          chat.showProgress(p);
        },
      });
      settled = true;
      settings.pendingDownload = undefined;
      if (typeof target === 'string') settings.lastModel = target;
      this.d.save();
      $('download').hidden = true;
      chat.setModelReady(info);
      performance.mark('gemma-ready');
    } catch (e) {
      settled = true;
      const err = toErrorView(e);
      if (this.cancelled) {
        $('download').hidden = true;
      } else if (this.paused || err.code === 'ABORTED') {
        this.paused = true;
        $('dl-phase').textContent = 'paused';
      } else {
        $('dl-phase').textContent = 'failed';
        chat.showError(e);
      }
      this.setButtons();
    } finally {
      this.d.onCacheChanged();
      void this.refresh();
    }
  }

  private pause(): void {
    this.paused = true;
    void this.d.backend.interrupt();
  }

  private async cancel(): Promise<void> {
    this.cancelled = true;
    const target = this.current;
    await this.d.backend.interrupt();
    this.d.settings.pendingDownload = undefined;
    this.d.save();
    $('download').hidden = true;
    if (typeof target === 'string') {
      // Give the aborted load a moment to release the cache entry, then drop the partial download.
      for (let i = 0; i < 20; i++) {
        try {
          await this.d.backend.deleteModel(cacheIdOf(target, this.d.backend.knownModels()));
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    this.d.onCacheChanged();
    void this.refresh();
  }

  private setButtons(): void {
    $('dl-pause').hidden = this.paused;
    $('dl-resume').hidden = !this.paused;
  }

  private showDownload(name: string, p: LoadProgressView | undefined): void {
    $('download').hidden = false;
    $('dl-name').textContent = name.split('/').pop() ?? name;
    this.setButtons();
    if (!p) return;
    const labels: Record<string, string> = { checking: 'checking the cache', downloading: 'downloading', verifying: 'verifying', 'loading-to-gpu': 'loading onto the GPU', ready: 'ready' };
    $('dl-phase').textContent = labels[p.phase] ?? p.phase;
    const bar = $<HTMLProgressElement>('dl-bar');
    bar.value = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0;
    const parts: string[] = [];
    if (p.bytesTotal > 0) parts.push(`${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)} (${Math.floor((p.bytesDone / p.bytesTotal) * 100)}%)`);
    if (p.rate) parts.push(`${formatBytes(p.rate)}/s`);
    if (p.etaSeconds !== undefined && p.phase === 'downloading') parts.push(`about ${formatDuration(p.etaSeconds)} left`);
    $('dl-text').textContent = parts.join(' · ');
  }
}
