// Conversations, kept in an IndexedDB database of their own ("gemma-conversations"), apart from the model weights.
import { createStore, del, entries, get, set, type UseStore } from 'idb-keyval';
import type { ChatMessage } from '../embed/gemma-chat.js';

export interface Conversation {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  messages: ChatMessage[];
}

export const CONVERSATIONS_DB = 'gemma-conversations';

export class ConversationStore {
  private readonly store: UseStore = createStore(CONVERSATIONS_DB, 'conversations');

  async list(): Promise<Conversation[]> {
    const all = (await entries<string, Conversation>(this.store)).map(([, c]) => c);
    return all.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  get(id: string): Promise<Conversation | undefined> {
    return get<Conversation>(id, this.store);
  }

  async create(): Promise<Conversation> {
    const now = Date.now();
    const c: Conversation = { id: crypto.randomUUID(), title: 'New chat', createdAt: now, updatedAt: now, messages: [] };
    await set(c.id, c, this.store);
    return c;
  }

  async save(c: Conversation): Promise<void> {
    await set(c.id, { ...c, updatedAt: Date.now() }, this.store);
  }

  async rename(id: string, title: string): Promise<void> {
    const c = await this.get(id);
    if (c) await this.save({ ...c, title: title.trim() || c.title });
  }

  delete(id: string): Promise<void> {
    return del(id, this.store);
  }
}

/** A title from the first user message (the first line, cut at 40 characters). */
export function titleFrom(messages: readonly ChatMessage[]): string | undefined {
  const first = messages.find((m) => m.role === 'user')?.content.split('\n')[0].trim();
  if (!first) return undefined;
  return first.length > 40 ? `${first.slice(0, 39)}…` : first;
}
