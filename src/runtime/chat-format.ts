// The built-in Gemma 4 chat renderer (gemma4-io.md §2): turns messages into the prompt text the model expects.
// Used when a file has no chat template, and for plain chat until the template engine lands.

export interface PlainMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** `<bos><|turn>user\n…<turn|>\n…<|turn>model\n` — the text ends where the model's answer begins. */
export function renderGemmaChat(messages: readonly PlainMessage[]): string {
  let out = '<bos>';
  for (const m of messages) {
    const role = m.role === 'assistant' ? 'model' : m.role;
    out += `<|turn>${role}\n${m.content.trim()}<turn|>\n`;
  }
  return out + '<|turn>model\n';
}
