// gemma-embed.js: the one-tag embed. Importing it defines <gemma-chat> (which starts its own engine worker, safely
// from a page of any origin) and exports createEngine() for pages that want the chat API without the element.
import { createEngine as createClientEngine, type CreateEngineOptions } from '../api/client.js';
import { createChatBackend } from './engine-adapter.js';
import { GemmaChatElement, defineGemmaChat } from './gemma-chat.js';
import { startEngineWorker } from './worker-bootstrap.js';

/** The engine API with its worker started from a cross-origin-safe bootstrap. */
export function createEngine(options: CreateEngineOptions = {}) {
  return createClientEngine({ ...options, worker: options.worker ?? startEngineWorker() });
}

GemmaChatElement.engineFactory = () => createChatBackend({ worker: startEngineWorker() });
defineGemmaChat();

export { GemmaChatElement };
export { prebuiltAppConfig } from '../api/app-config.js';
export type { GemmaEngine } from '../api/client.js';
export type { ChatMessage, ChatSettings, ChatTool } from './gemma-chat.js';
