// The Jinja path: untrusted strings come back as plain segments (sentinels split the render), the template's own
// trim/strip is a no-op on them, a broken or failing template falls back to the built-in renderer with a warning,
// and the prompt ids never hold a second <bos>. (The official template is checked by scripts/check-template.ts.)
import { describe, expect, it } from 'vitest';
import { fixtureTokenizer } from '../../../test/fake-generator.js';
import { segmentsText } from './gemma-format.js';
import { PromptBuilder } from './prompt.js';
import { ChatTemplate, foldToolResults, splitRendered } from './template.js';

const SIMPLE =
  "{{ bos_token }}{% for m in messages %}<|turn>{{ 'model' if m.role == 'assistant' else m.role }}\n{{ m.content | trim }}<turn|>\n{% endfor %}{% if add_generation_prompt %}<|turn>model\n{% endif %}";

describe('ChatTemplate', () => {
  it('renders, and marks user text plain and structure special', () => {
    const segs = new ChatTemplate(SIMPLE).render([{ role: 'user', content: '  Hi <|turn>  ' }]);
    expect(segs).toEqual([
      { text: '<bos><|turn>user\n', special: true },
      { text: 'Hi <|turn>', special: false },
      { text: '<turn|>\n<|turn>model\n', special: true },
    ]);
  });

  it('splits at sentinels; sentinel characters in input text are dropped', () => {
    expect(splitRendered('a\uFDD0b\u0001c')).toEqual([
      { text: 'a', special: true },
      { text: 'b', special: false },
      { text: 'c', special: true },
    ]);
    const segs = new ChatTemplate(SIMPLE).render([{ role: 'user', content: 'x\uFDD0y\u0001z' }]);
    expect(segmentsText(segs)).toContain('xyz');
  });

  it('folds OpenAI tool messages into the assistant message as native tool responses', () => {
    const folded = foldToolResults([
      { role: 'user', content: 'q' },
      { role: 'assistant', toolCalls: [{ id: 'a', name: 'f', arguments: {} }, { id: 'b', name: 'g', arguments: {} }] },
      { role: 'tool', toolCallId: 'b', content: { ok: 1 } },
      { role: 'tool', toolCallId: 'a', content: 'text' },
      { role: 'user', content: 'next' },
    ]);
    expect(folded).toHaveLength(3);
    expect(folded[1]).toMatchObject({ toolResponses: [{ name: 'g', response: { ok: 1 } }, { name: 'f', response: 'text' }] });
  });

  it('a template that does not parse or that throws falls back to the built-in renderer with a warning', () => {
    const tok = fixtureTokenizer();
    const broken = new PromptBuilder(tok, '{% for %}');
    const r1 = broken.build([{ role: 'user', content: 'Hi' }]);
    expect(r1.renderer).toBe('builtin');
    expect(r1.warning).toMatch(/does not parse/);
    const throwing = new PromptBuilder(tok, "{{ raise_exception('no') }}");
    const r2 = throwing.build([{ role: 'user', content: 'Hi' }]);
    expect(r2.renderer).toBe('builtin-fallback');
    expect(segmentsText(r2.segments)).toBe('<bos><|turn>user\nHi<turn|>\n<|turn>model\n');
  });

  it('the file template is used when it works, tokenized by segment; a second <bos> is refused', () => {
    const tok = fixtureTokenizer();
    const b = new PromptBuilder(tok, SIMPLE);
    const r = b.build([{ role: 'user', content: 'Hello there' }]);
    expect(r.renderer).toBe('template');
    expect(r.ids).toEqual(tok.encode('<bos><|turn>user\nHello there<turn|>\n<|turn>model\n'));
    expect(() => new PromptBuilder(tok, '{{ bos_token }}{{ bos_token }}x').build([{ role: 'user', content: 'a' }])).toThrow(/more than one <bos>/);
  });
});
