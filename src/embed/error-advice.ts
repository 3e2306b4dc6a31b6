// Turns an engine error into a banner: a short title saying what happened and a line saying what to do.
import type { ErrorView } from './chat-backend.js';
import { formatBytes } from './dom.js';

export interface Advice {
  readonly title: string;
  readonly detail: string;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function errorAdvice(e: ErrorView): Advice {
  const d = e.details ?? {};
  switch (e.code) {
    case 'NO_WEBGPU':
    case 'NO_ADAPTER':
      return {
        title: 'This browser cannot run the model (no usable WebGPU).',
        detail: 'Use a recent Chrome, Edge or another browser with WebGPU turned on, on a device with a GPU. ' + e.message,
      };
    case 'QUOTA': {
      const need = num(d.neededBytes) ?? num(d.size);
      const stored = num(d.storedBytes);
      const free = num(d.availableBytes);
      const figures = [
        need !== undefined && `needs ${formatBytes(need)} more`,
        free !== undefined && `${formatBytes(free)} free`,
        stored !== undefined && `${formatBytes(stored)} already stored`,
      ].filter(Boolean).join(', ');
      return {
        title: `Out of storage${figures ? ` (${figures})` : ''}.`,
        detail: 'Delete other models in the cache manager or free disk space, then load again: the download resumes. ' + e.message,
      };
    }
    case 'NETWORK': {
      const status = num(d.status);
      if (status === 404 || status === 410) {
        return { title: `The download failed: the file is not there (HTTP ${status}).`, detail: `${e.message} Check the model URL, or pick a model from the list.` };
      }
      const http = status !== undefined ? ` (HTTP ${status})` : '';
      return { title: `The download failed${http}.`, detail: `${e.message} Check the connection and load the model again: it resumes where it stopped.` };
    }
    case 'INTEGRITY':
      return { title: 'The downloaded file is damaged (checksum mismatch).', detail: `${e.message} The bad part was discarded; load again to fetch it afresh.` };
    case 'DEVICE_LOST':
      return { title: 'The GPU was reset (device lost): recovering.', detail: 'The model is being reloaded from the cache by itself; send your message again (it waits until the model is back). ' + e.message };
    case 'OUT_OF_MEMORY':
      return { title: 'The GPU ran out of memory.', detail: 'Pick a smaller model or a shorter context length, close other GPU-heavy tabs, and try again. ' + e.message };
    case 'CONTEXT_FULL': {
      const used = num(d.promptTokens);
      const max = num(d.contextLength) ?? num(d.contextWindowSize);
      const counts = used !== undefined && max !== undefined ? ` (${used} tokens, the context holds ${max})` : '';
      return { title: `The conversation is too long for the context${counts}.`, detail: 'Start a new chat, delete earlier turns, or load the model with a larger context length.' };
    }
    case 'BAD_MODEL_FILE':
    case 'UNSUPPORTED_MODEL':
      return { title: 'This file cannot be used as a Gemma 4 model.', detail: e.message };
    case 'NOT_LOADED':
      return { title: 'No model is loaded.', detail: e.message };
    case 'BUSY':
      return { title: 'The engine is busy.', detail: 'Wait for the current answer or download to finish, or stop it. ' + e.message };
    case 'ABORTED':
      return { title: 'Stopped.', detail: e.message };
    default:
      return { title: 'Something went wrong.', detail: `${e.message} (${e.code})` };
  }
}
