// App settings (sampling, system prompt, context length, user-defined tools), saved in localStorage.
import type { UserToolSpec } from './tools/sandboxed-tool.js';

export interface AppSettings {
  systemPrompt: string;
  temperature: number;
  topP: number;
  topK: number;
  maxTokens: number;
  contextLength: number;
  /** Where the model runs: 'auto' (WebGPU on a real GPU adapter, else the CPU WebAssembly path), or forced. */
  backend: 'auto' | 'webgpu' | 'cpu';
  enabledBuiltins: string[];
  userTools: UserToolSpec[];
  theme: 'auto' | 'light' | 'dark';
  /** The model last loaded (a URL or registry id), loaded again on the next visit when it is cached. */
  lastModel?: string;
  /** A download that was running when the page went away; offered for resuming. */
  pendingDownload?: string;
}

export const DEFAULT_SETTINGS: AppSettings = {
  systemPrompt: 'You are a helpful assistant.',
  temperature: 0.7,
  topP: 0.95,
  topK: 64,
  maxTokens: 512,
  contextLength: 4096,
  backend: 'auto',
  enabledBuiltins: ['calculator', 'current_datetime', 'convert_units'],
  userTools: [],
  theme: 'auto',
};

const KEY = 'gemma-app-settings';

export function loadSettings(): AppSettings {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? { ...DEFAULT_SETTINGS, ...(JSON.parse(raw) as Partial<AppSettings>) } : { ...DEFAULT_SETTINGS };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function saveSettings(s: AppSettings): void {
  localStorage.setItem(KEY, JSON.stringify(s));
}
