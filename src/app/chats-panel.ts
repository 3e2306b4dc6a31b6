// The conversation list: new, switch, rename, delete; the open conversation is saved as it changes.
import { clear, h } from '../embed/dom.js';
import type { GemmaChatElement } from '../embed/gemma-chat.js';
import { titleFrom, type Conversation, type ConversationStore } from './conversations.js';

const $ = (id: string) => document.getElementById(id)!;
const CURRENT_KEY = 'gemma-app-current-chat';

export class ChatsPanel {
  private current: Conversation | undefined;

  constructor(private readonly store: ConversationStore, private readonly chat: GemmaChatElement) {
    $('new-chat').addEventListener('click', () => void this.open(undefined));
    chat.addEventListener('message', () => void this.persist());
  }

  async restore(): Promise<void> {
    const id = localStorage.getItem(CURRENT_KEY) ?? undefined;
    await this.open(id ? await this.store.get(id) : undefined);
  }

  private async open(c: Conversation | undefined): Promise<void> {
    this.current = c ?? (await this.store.create());
    localStorage.setItem(CURRENT_KEY, this.current.id);
    this.chat.messages = this.current.messages;
    await this.renderList();
  }

  private async persist(): Promise<void> {
    if (!this.current) return;
    const messages = this.chat.messages;
    const title = this.current.title === 'New chat' ? titleFrom(messages) ?? 'New chat' : this.current.title;
    this.current = { ...this.current, messages, title };
    await this.store.save(this.current);
    await this.renderList();
  }

  private async renderList(): Promise<void> {
    const list = $('chat-list');
    const all = await this.store.list();
    clear(list);
    for (const c of all) {
      const isCurrent = c.id === this.current?.id;
      const li = h('li', { class: isCurrent ? 'current' : '', 'data-chat': c.id },
        h('button', { type: 'button', class: 'grow', 'aria-current': isCurrent ? 'true' : undefined, onclick: () => void this.store.get(c.id).then((x) => this.open(x)) },
          c.title, h('span', { class: 'sub' }, `${c.messages.length} messages · ${new Date(c.updatedAt).toLocaleString()}`)),
        h('button', { type: 'button', 'aria-label': `Rename ${c.title}`, onclick: () => this.rename(li, c) }, 'Rename'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${c.title}`, onclick: () => void this.remove(c.id) }, 'Delete'));
      list.appendChild(li);
    }
  }

  private rename(li: HTMLElement, c: Conversation): void {
    const input = h('input', { 'aria-label': 'New name' });
    input.value = c.title;
    const done = async () => {
      await this.store.rename(c.id, input.value);
      if (this.current?.id === c.id) this.current = await this.store.get(c.id);
      await this.renderList();
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') void done();
      if (e.key === 'Escape') void this.renderList();
    });
    li.replaceChildren(input, h('button', { type: 'button', onclick: () => void done() }, 'Save'));
    input.focus();
  }

  private async remove(id: string): Promise<void> {
    await this.store.delete(id);
    if (this.current?.id === id) await this.open((await this.store.list())[0]);
    else await this.renderList();
  }
}
