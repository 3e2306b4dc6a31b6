// The app page: mounts <gemma-chat> and wires the side panels (chats, model, settings, tools, storage) to one engine.
import { createChatBackend } from '../embed/engine-adapter.js';
import { defineGemmaChat } from '../embed/gemma-chat.js';
import { startEngineWorker } from '../embed/worker-bootstrap.js';
import { registerServiceWorker } from '../pwa/register.js';
import { CachePanel } from './cache-panel.js';
import { ChatsPanel } from './chats-panel.js';
import { ConversationStore } from './conversations.js';
import { ModelPanel } from './model-panel.js';
import { loadSettings, saveSettings, type AppSettings } from './settings.js';
import { ToolsPanel } from './tools-panel.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

defineGemmaChat();
const settings: AppSettings = loadSettings();
const save = () => saveSettings(settings);
const chat = $('chat') as HTMLElementTagNameMap['gemma-chat'];
// `?backend=webgpu|cpu` forces a compute backend for this page, over the "Run on" setting (tests use it).
const backendParam = new URLSearchParams(location.search).get('backend');
const backend = createChatBackend({
  worker: startEngineWorker(),
  backend: backendParam === 'webgpu' || backendParam === 'cpu' ? backendParam : undefined,
});
chat.engine = backend;

function applyTheme(): void {
  const t = settings.theme;
  if (t === 'auto') {
    delete document.documentElement.dataset.theme;
    chat.removeAttribute('theme');
  } else {
    document.documentElement.dataset.theme = t;
    chat.setAttribute('theme', t);
  }
  $<HTMLSelectElement>('theme').value = t;
}
$<HTMLSelectElement>('theme').addEventListener('change', (e) => {
  settings.theme = (e.target as HTMLSelectElement).value as AppSettings['theme'];
  save();
  applyTheme();
});
chat.addEventListener('theme', (e) => {
  settings.theme = (e as CustomEvent<'light' | 'dark'>).detail;
  save();
  applyTheme();
});
applyTheme();

function applyChatSettings(): void {
  chat.setAttribute('system-prompt', settings.systemPrompt);
  chat.settings = { temperature: settings.temperature, topP: settings.topP, topK: settings.topK, maxTokens: settings.maxTokens };
}
const fields: Array<[string, keyof AppSettings]> = [['s-system', 'systemPrompt'], ['s-temp', 'temperature'], ['s-topp', 'topP'], ['s-topk', 'topK'], ['s-max', 'maxTokens'], ['s-ctx', 'contextLength'], ['s-backend', 'backend']];
for (const [id, key] of fields) {
  const el = $<HTMLInputElement>(id);
  el.value = String(settings[key]);
  el.addEventListener('change', () => {
    const v = key === 'systemPrompt' || key === 'backend' ? el.value : Number(el.value);
    if (typeof v === 'number' && !Number.isFinite(v)) return;
    (settings as unknown as Record<string, unknown>)[key] = v;
    save();
    applyChatSettings();
  });
}
applyChatSettings();

// Tabs and the phone menu.
const tabs = Array.from(document.querySelectorAll<HTMLButtonElement>('[role="tab"]'));
for (const tab of tabs) {
  tab.addEventListener('click', () => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      $(t.getAttribute('aria-controls')!).hidden = !on;
    }
    if (tab.id === 'tab-storage') void cache.refresh();
  });
}
$('menu').addEventListener('click', () => {
  const open = document.body.classList.toggle('menu-open');
  $('menu').setAttribute('aria-expanded', String(open));
});
chat.addEventListener('ready', () => document.body.classList.remove('menu-open'));

const cache = new CachePanel(backend, () => void models.refresh());
const models = new ModelPanel({ backend, chat, settings, save, onCacheChanged: () => void cache.refresh() });
new ToolsPanel(settings, save, (tools) => (chat.tools = tools));
const chats = new ChatsPanel(new ConversationStore(), chat);

void chats.restore();
void models.restore();
// A first visit from a static host reloads once to become cross-origin isolated, unless a model is loading or answering.
registerServiceWorker({ isIdle: () => ['idle', 'error'].includes(chat.getAttribute('state') ?? 'idle') && $('download').hidden === true });
